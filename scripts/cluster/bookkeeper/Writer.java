// A writer that counts: creates ledgers and writes entries to real bookies until told to stop, remembers
// every entry a bookie quorum acknowledged, then reads every ledger back and says what was lost.
//
//   java -cp "$(scripts/cluster.sh bookkeeper-lib 4.17.2)/*" scripts/cluster/bookkeeper/Writer.java \
//     --zookeeper HOST:PORT --root /NAMESPACE-CLUSTER [--ensemble 3 --write-quorum 2 --ack-quorum 2]
//     [--entries-per-ledger 200] [--entry-size 512] [--seconds 600] [--report FILE]
//
// It stops writing on a line "stop" (or the end) on standard input, or after --seconds. Lines starting
// with "WRITER " on standard output are its own: "WRITER started", then "WRITER acked N" each second, then
// "WRITER report {json}" with: acknowledged, read_back, lost, write_errors, longest_stall_ms, ledgers,
// seconds, acked_per_second (one count per second of writing).
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.bookkeeper.client.BKException;
import org.apache.bookkeeper.client.BookKeeper;
import org.apache.bookkeeper.client.LedgerEntry;
import org.apache.bookkeeper.client.LedgerHandle;
import org.apache.bookkeeper.conf.ClientConfiguration;

public class Writer {
    static final byte[] PASSWORD = "bookkeeper-ops".getBytes(StandardCharsets.UTF_8);

    static byte[] payload(long ledger, long entry, int size) {
        byte[] data = new byte[size];
        byte[] head = (ledger + ":" + entry + ":").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < size; i++) {
            data[i] = i < head.length ? head[i] : (byte) ('a' + (ledger * 31 + entry * 7 + i) % 26);
        }
        return data;
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

        ClientConfiguration conf = new ClientConfiguration();
        conf.setMetadataServiceUri("zk+null://" + zookeeper + root);
        conf.setAddEntryTimeout(10);
        conf.setReadEntryTimeout(10);
        conf.setZkTimeout(10000);
        BookKeeper bk = new BookKeeper(conf);

        AtomicBoolean stop = new AtomicBoolean(false);
        Thread reader = new Thread(() -> {
            try {
                java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
                String line;
                while ((line = in.readLine()) != null && !line.trim().equals("stop")) {
                    // only "stop" counts
                }
            } catch (java.io.IOException e) {
                // the end of the input stops the writer too
            }
            stop.set(true);
        });
        reader.setDaemon(true);
        reader.start();

        Map<Long, Long> acked = new LinkedHashMap<>(); // ledger -> entries acknowledged (0..n-1)
        List<Long> perSecond = new ArrayList<>();
        long errors = 0;
        long total = 0;
        long started = System.currentTimeMillis();
        long lastAck = started;
        long longestStall = 0;
        long second = started;
        long inSecond = 0;
        System.out.println("WRITER started");
        System.out.flush();
        LedgerHandle ledger = null;
        while (!stop.get() && System.currentTimeMillis() - started < limitMs) {
            try {
                if (ledger == null) {
                    ledger = bk.createLedger(ensemble, writeQuorum, ackQuorum, BookKeeper.DigestType.CRC32, PASSWORD);
                    acked.put(ledger.getId(), 0L);
                }
                long entry = acked.get(ledger.getId());
                long id = ledger.addEntry(payload(ledger.getId(), entry, size));
                if (id != entry) {
                    throw new IllegalStateException("entry " + entry + " of ledger " + ledger.getId() + " got id " + id);
                }
                acked.put(ledger.getId(), entry + 1);
                total++;
                inSecond++;
                long now = System.currentTimeMillis();
                longestStall = Math.max(longestStall, now - lastAck);
                lastAck = now;
                if (entry + 1 >= perLedger) {
                    ledger.close();
                    ledger = null;
                }
            } catch (BKException | InterruptedException e) {
                errors++;
                System.out.println("WRITER error " + e);
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
            long now = System.currentTimeMillis();
            while (now - second >= 1000) {
                perSecond.add(inSecond);
                System.out.println("WRITER acked " + total);
                System.out.flush();
                inSecond = 0;
                second += 1000;
            }
        }
        if (ledger != null) {
            try {
                ledger.close();
            } catch (Exception closing) {
                // recovered when read
            }
        }
        long seconds = (System.currentTimeMillis() - started) / 1000;
        longestStall = Math.max(longestStall, System.currentTimeMillis() - lastAck);

        long readBack = 0;
        long lost = 0;
        for (Map.Entry<Long, Long> item : acked.entrySet()) {
            long id = item.getKey();
            long count = item.getValue();
            long found = 0;
            try (LedgerHandle handle = bk.openLedger(id, BookKeeper.DigestType.CRC32, PASSWORD)) {
                long last = Math.min(handle.getLastAddConfirmed(), count - 1);
                for (long first = 0; first <= last; first += 100) {
                    Enumeration<LedgerEntry> entries = handle.readEntries(first, Math.min(last, first + 99));
                    while (entries.hasMoreElements()) {
                        LedgerEntry entry = entries.nextElement();
                        if (Arrays.equals(entry.getEntry(), payload(id, entry.getEntryId(), size))) {
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
        report.append("{\"acknowledged\": ").append(total)
              .append(", \"read_back\": ").append(readBack)
              .append(", \"lost\": ").append(lost)
              .append(", \"write_errors\": ").append(errors)
              .append(", \"longest_stall_ms\": ").append(longestStall)
              .append(", \"ledgers\": ").append(acked.size())
              .append(", \"seconds\": ").append(seconds)
              .append(", \"acked_per_second\": ").append(perSecond)
              .append("}");
        System.out.println("WRITER report " + report);
        if (args.containsKey("report")) {
            java.nio.file.Files.writeString(java.nio.file.Path.of(args.get("report")), report + "\n");
        }
        System.exit(0);
    }
}
