// A writer that counts: creates ledgers and writes entries to real bookies until told to stop, remembers
// every entry a bookie quorum acknowledged, then reads every ledger back and says what was lost.
//
//   java -cp "$(scripts/cluster.sh bookkeeper-lib 4.17.2)/*" scripts/cluster/bookkeeper/Writer.java \
//     --zookeeper HOST:PORT --root /NAMESPACE-CLUSTER [--ensemble 3 --write-quorum 2 --ack-quorum 2]
//     [--entries-per-ledger 200] [--entry-size 512] [--seconds 600] [--pipeline 1] [--report FILE]
//
// --pipeline N: with 1 (the default) each entry is written with a synchronous addEntry, one at a time; with
// more, asyncAddEntry keeps up to N adds of the current ledger outstanding. A failed add abandons its ledger
// (the read-back recovers it) and the writer goes on with a new one after 100 ms.
//
// Standard input: a line "stop" (or the end) stops writing, as does --seconds; a line "phase NAME" starts the
// latency phase NAME (the first phase is "rest"; naming an earlier phase again goes on adding to it).
// Lines starting with "WRITER " on standard output are its own: "WRITER started", then "WRITER acked N" each
// second, "WRITER phase NAME" on each switch, "WRITER error ..." for each failed write, then
// "WRITER report {json}" with: acknowledged, read_back, lost, write_errors, longest_stall_ms (longest time
// without an acknowledgement), ledgers, seconds, acked_per_second (one count per second of writing) and
// phases: by phase, in the order they started, {adds, errors, p50_ms, p99_ms, max_ms, longest_gap_ms,
// seconds}. adds are acknowledged adds and their send-to-acknowledgement latencies give p50/p99/max (null
// without any); errors are the phase's write errors; longest_gap_ms is its longest time without an
// acknowledgement, counted from its start and up to its end.
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.bookkeeper.client.BKException;
import org.apache.bookkeeper.client.BookKeeper;
import org.apache.bookkeeper.client.LedgerEntry;
import org.apache.bookkeeper.client.LedgerHandle;
import org.apache.bookkeeper.conf.ClientConfiguration;

public class Writer {
    static final byte[] PASSWORD = "bookkeeper-ops".getBytes(StandardCharsets.UTF_8);
    // How long the end of a ledger waits for its outstanding adds (BookKeeper times an add out after 10 s).
    static final long DRAIN_NANOS = TimeUnit.SECONDS.toNanos(20);

    static byte[] payload(long ledger, long entry, int size) {
        byte[] data = new byte[size];
        byte[] head = (ledger + ":" + entry + ":").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            data[i] = i < head.length ? head[i] : (byte) ('a' + (ledger * 31 + entry * 7 + i) % 26);
        }
        return data;
    }

    static String decimal(double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    static String quoted(String text) {
        StringBuilder out = new StringBuilder("\"");
        for (char c : text.toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }

    /** The adds of one latency phase; its time may come in several stretches if its name comes back. */
    static final class Phase {
        final String name;
        long adds;
        long errors;
        int[] micros = new int[1024];
        long nanos; // the stretches that ended
        long stretchStart;
        long lastAck; // or the stretch's start
        long longestGap;

        Phase(String name, long now) {
            this.name = name;
            resume(now);
        }

        void resume(long now) {
            stretchStart = now;
            lastAck = now;
        }

        void pause(long now) {
            longestGap = Math.max(longestGap, now - lastAck);
            nanos += now - stretchStart;
        }

        void ack(long now, long latencyNanos) {
            longestGap = Math.max(longestGap, now - lastAck);
            lastAck = now;
            if (adds == micros.length) {
                micros = Arrays.copyOf(micros, micros.length + micros.length / 2);
            }
            micros[(int) adds++] = (int) Math.min(Integer.MAX_VALUE, latencyNanos / 1000);
        }

        String percentile(double fraction) {
            if (adds == 0) {
                return "null";
            }
            int rank = (int) Math.ceil(fraction * adds); // nearest rank
            return decimal(micros[Math.max(0, rank - 1)] / 1000.0);
        }

        String json() {
            Arrays.sort(micros, 0, (int) adds);
            return "{\"adds\": " + adds + ", \"errors\": " + errors + ", \"p50_ms\": " + percentile(0.50)
                    + ", \"p99_ms\": " + percentile(0.99) + ", \"max_ms\": " + percentile(1.0)
                    + ", \"longest_gap_ms\": " + decimal(longestGap / 1e6) + ", \"seconds\": " + decimal(nanos / 1e9)
                    + "}";
        }
    }

    /** What the writer counts, shared by the writing thread, BookKeeper's callbacks and the standard input. */
    static final class Stats {
        final Map<Long, BitSet> acked = new LinkedHashMap<>(); // ledger -> ids of its acknowledged entries
        final List<Long> perSecond = new ArrayList<>();
        final Map<String, Phase> phases = new LinkedHashMap<>();
        Phase phase;
        long errors;
        long total;
        long inSecond;
        long second;
        long lastAck;
        long longestStall;
        boolean ended;

        Stats(long startedMillis, long startedNanos) {
            second = startedMillis;
            lastAck = startedNanos;
            phase = new Phase("rest", startedNanos);
            phases.put(phase.name, phase);
        }

        synchronized BitSet ledger(long id) {
            BitSet ids = new BitSet();
            acked.put(id, ids);
            return ids;
        }

        synchronized void ack(BitSet ids, long entry, long sentNanos) {
            long now = System.nanoTime();
            ids.set((int) entry);
            total++;
            inSecond++;
            longestStall = Math.max(longestStall, now - lastAck);
            lastAck = now;
            phase.ack(now, now - sentNanos);
        }

        synchronized void error(String what) {
            errors++;
            phase.errors++;
            System.out.println("WRITER error " + what);
            System.out.flush();
        }

        synchronized void phase(String name) {
            if (ended) {
                return;
            }
            if (!name.equals(phase.name)) {
                long now = System.nanoTime();
                phase.pause(now);
                phase = phases.get(name);
                if (phase == null) {
                    phase = new Phase(name, now);
                    phases.put(name, phase);
                } else {
                    phase.resume(now);
                }
            }
            System.out.println("WRITER phase " + name);
            System.out.flush();
        }

        synchronized void tick() {
            long now = System.currentTimeMillis();
            while (now - second >= 1000) {
                perSecond.add(inSecond);
                System.out.println("WRITER acked " + total);
                System.out.flush();
                inSecond = 0;
                second += 1000;
            }
        }

        synchronized void end() {
            long now = System.nanoTime();
            ended = true;
            longestStall = Math.max(longestStall, now - lastAck);
            phase.pause(now);
        }

        synchronized String phasesJson() {
            StringBuilder out = new StringBuilder("{");
            for (Phase each : phases.values()) {
                out.append(out.length() > 1 ? ", " : "").append(quoted(each.name)).append(": ").append(each.json());
            }
            return out.append("}").toString();
        }
    }

    /** The ledger being written with --pipeline above 1. */
    static final class Open {
        final LedgerHandle handle;
        final BitSet ids;
        final Semaphore permits;
        long next; // the id of its next entry
        volatile boolean failed;
        long drainingSince;

        Open(LedgerHandle handle, BitSet ids, int pipeline) {
            this.handle = handle;
            this.ids = ids;
            this.permits = new Semaphore(pipeline);
        }
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new LinkedHashMap<>();
        for (int i = 0; i + 1 < argv.length; i += 2) {
            args.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
        }
        String zookeeper = args.get("zookeeper");
        String root = args.get("root");
        if (zookeeper == null || root == null) {
            System.err.println("--zookeeper HOST:PORT and --root /LEDGERS-ROOT are required");
            System.exit(2);
        }
        int ensemble = Integer.parseInt(args.getOrDefault("ensemble", "3"));
        int writeQuorum = Integer.parseInt(args.getOrDefault("write-quorum", "2"));
        int ackQuorum = Integer.parseInt(args.getOrDefault("ack-quorum", "2"));
        int perLedger = Integer.parseInt(args.getOrDefault("entries-per-ledger", "200"));
        int size = Integer.parseInt(args.getOrDefault("entry-size", "512"));
        long limitMs = Long.parseLong(args.getOrDefault("seconds", "600")) * 1000;
        int pipeline = Integer.parseInt(args.getOrDefault("pipeline", "1"));
        if (pipeline < 1) {
            System.err.println("--pipeline must be at least 1");
            System.exit(2);
        }

        ClientConfiguration conf = new ClientConfiguration();
        conf.setMetadataServiceUri("zk+null://" + zookeeper + root);
        conf.setAddEntryTimeout(10);
        conf.setReadEntryTimeout(10);
        conf.setZkTimeout(10000);
        BookKeeper bk = new BookKeeper(conf);

        long started = System.currentTimeMillis();
        Stats stats = new Stats(started, System.nanoTime());
        AtomicBoolean stop = new AtomicBoolean(false);
        Thread reader = new Thread(() -> {
            try {
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
                String line;
                while ((line = in.readLine()) != null && !line.trim().equals("stop")) {
                    String[] words = line.trim().split("\\s+", 2);
                    if (words.length == 2 && words[0].equals("phase")) {
                        stats.phase(words[1].trim());
                    }
                }
            } catch (java.io.IOException e) {
                // the end of the input stops the writer too
            }
            stop.set(true);
        });
        reader.setDaemon(true);
        System.out.println("WRITER started");
        System.out.flush();
        reader.start();

        if (pipeline == 1) {
            LedgerHandle ledger = null;
            BitSet ids = null;
            long entry = 0;
            while (!stop.get() && System.currentTimeMillis() - started < limitMs) {
                try {
                    if (ledger == null) {
                        ledger = bk.createLedger(ensemble, writeQuorum, ackQuorum, BookKeeper.DigestType.CRC32, PASSWORD);
                        ids = stats.ledger(ledger.getId());
                        entry = 0;
                    }
                    byte[] data = payload(ledger.getId(), entry, size);
                    long sent = System.nanoTime();
                    long id = ledger.addEntry(data);
                    if (id != entry) {
                        throw new IllegalStateException("entry " + entry + " of ledger " + ledger.getId() + " got id " + id);
                    }
                    stats.ack(ids, entry, sent);
                    entry++;
                    if (entry >= perLedger) {
                        ledger.close();
                        ledger = null;
                    }
                } catch (BKException | InterruptedException e) {
                    stats.error(e.toString());
                    if (ledger != null) {
                        try {
                            ledger.close();
                        } catch (Exception closing) {
                            // the read phase recovers a ledger that could not be closed
                        }
                        ledger = null;
                    }
                    Thread.sleep(100);
                }
                stats.tick();
            }
            if (ledger != null) {
                try {
                    ledger.close();
                } catch (Exception closing) {
                    // recovered when read
                }
            }
        } else {
            Open open = null;
            while (true) {
                stats.tick();
                boolean writing = !stop.get() && System.currentTimeMillis() - started < limitMs;
                if (open == null) {
                    if (!writing) {
                        break;
                    }
                    try {
                        LedgerHandle handle = bk.createLedger(ensemble, writeQuorum, ackQuorum, BookKeeper.DigestType.CRC32, PASSWORD);
                        open = new Open(handle, stats.ledger(handle.getId()), pipeline);
                    } catch (BKException | InterruptedException e) {
                        stats.error(e.toString());
                        Thread.sleep(100);
                    }
                    continue;
                }
                if (writing && !open.failed && open.next < perLedger) {
                    // Waits a little at most, so that "WRITER acked" keeps its pace and "stop" is seen.
                    if (open.permits.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                        if (open.failed) {
                            open.permits.release();
                            continue;
                        }
                        Open ledger = open;
                        long entry = open.next++;
                        byte[] data = payload(ledger.handle.getId(), entry, size);
                        long sent = System.nanoTime();
                        ledger.handle.asyncAddEntry(data, (rc, handle, id, context) -> {
                            try {
                                if (rc != BKException.Code.OK) {
                                    ledger.failed = true;
                                    stats.error(BKException.create(rc) + " (ledger " + ledger.handle.getId() + ", entry " + entry + ")");
                                } else if (id != entry) {
                                    ledger.failed = true;
                                    stats.error("entry " + entry + " of ledger " + ledger.handle.getId() + " got id " + id);
                                } else {
                                    stats.ack(ledger.ids, id, sent);
                                }
                            } finally {
                                ledger.permits.release();
                            }
                        }, null);
                    }
                    continue;
                }
                // The ledger is full, failed or the last one: its outstanding adds come back before it is closed.
                if (open.drainingSince == 0) {
                    open.drainingSince = System.nanoTime();
                }
                if (!open.permits.tryAcquire(pipeline, 100, TimeUnit.MILLISECONDS)
                        && System.nanoTime() - open.drainingSince < DRAIN_NANOS) {
                    continue;
                }
                boolean rolling = writing && !open.failed;
                try {
                    open.handle.close();
                } catch (BKException | InterruptedException e) {
                    // the read phase recovers a ledger that could not be closed; only a roll counts it
                    if (rolling) {
                        stats.error(e.toString());
                        Thread.sleep(100);
                    }
                }
                if (open.failed && writing) {
                    Thread.sleep(100);
                }
                open = null;
            }
        }
        stats.end();
        long seconds = (System.currentTimeMillis() - started) / 1000;

        long readBack = 0;
        long lost = 0;
        Map<Long, BitSet> acked;
        synchronized (stats) {
            acked = new LinkedHashMap<>(stats.acked);
        }
        for (Map.Entry<Long, BitSet> item : acked.entrySet()) {
            long id = item.getKey();
            BitSet ids = item.getValue();
            long count;
            long found = 0;
            synchronized (stats) {
                count = ids.cardinality();
            }
            try (LedgerHandle handle = bk.openLedger(id, BookKeeper.DigestType.CRC32, PASSWORD)) {
                long last = Math.min(handle.getLastAddConfirmed(), ids.length() - 1);
                for (long first = 0; first <= last; first += 100) {
                    Enumeration<LedgerEntry> entries = handle.readEntries(first, Math.min(last, first + 99));
                    while (entries.hasMoreElements()) {
                        LedgerEntry entry = entries.nextElement();
                        if (ids.get((int) entry.getEntryId())
                                && Arrays.equals(entry.getEntry(), payload(id, entry.getEntryId(), size))) {
                            found++;
                        }
                    }
                }
            } catch (BKException e) {
                System.out.println("WRITER read error on ledger " + id + ": " + e);
            }
            readBack += found;
            lost += count - found;
        }
        bk.close();
        StringBuilder report = new StringBuilder();
        synchronized (stats) {
            report.append("{\"acknowledged\": ").append(stats.total)
                  .append(", \"read_back\": ").append(readBack)
                  .append(", \"lost\": ").append(lost)
                  .append(", \"write_errors\": ").append(stats.errors)
                  .append(", \"longest_stall_ms\": ").append(stats.longestStall / 1_000_000)
                  .append(", \"ledgers\": ").append(acked.size())
                  .append(", \"seconds\": ").append(seconds)
                  .append(", \"acked_per_second\": ").append(stats.perSecond)
                  .append(", \"phases\": ").append(stats.phasesJson())
                  .append("}");
        }
        System.out.println("WRITER report " + report);
        if (args.containsKey("report")) {
            java.nio.file.Files.writeString(java.nio.file.Path.of(args.get("report")), report + "\n");
        }
        System.exit(0);
    }
}
