import pytest

from ansible_collections.bookkeeper.ops.plugins.module_utils.core import versions


@pytest.mark.parametrize(
    "text, triple",
    [
        ("0.13.0", (0, 13, 0)),
        ("v1.2.3", (1, 2, 3)),
        ("0.6.0-2252.b6f6512", (0, 6, 0)),
        ("10.20.30+build.1", (10, 20, 30)),
    ],
)
def test_parse_accepts_reference_forms(text, triple):
    assert versions.parse(text) == triple


@pytest.mark.parametrize(
    "text", ["", "1.2", "1.2.3.", "latest", "1.2.x", "v", "1.2.3 -x", "1..2.3", None, 13, "1.2.3-"]
)
def test_parse_refuses_malformed_versions_with_the_allowed_form(text):
    with pytest.raises(versions.VersionError) as raised:
        versions.parse(text)
    assert "request version is not in valid format" in str(raised.value)
    assert "X.Y.Z" in str(raised.value)


def test_compare_ignores_suffixes_and_orders_numerically():
    assert versions.compare("0.6.0-2239.6e24df7", "0.6.0-2252.b6f6512") == 0
    assert versions.compare("0.10.0", "0.9.0") == 1
    assert versions.compare("v0.9.0", "0.10.0") == -1
    assert versions.is_valid("0.9.0") and not versions.is_valid("nine")


def test_effective_version_defaults_an_empty_spec():
    assert versions.effective("") == "0.11.0"
    assert versions.effective(None) == "0.11.0"
    assert versions.effective("0.13.0") == "0.13.0"


def test_history_rules():
    assert versions.last_stable([]) == ""
    assert versions.last_stable(["0.12.0", "0.13.0"]) == "0.13.0"
    assert versions.append_history(["0.12.0"], "0.13.0") == ["0.12.0", "0.13.0"]
    assert versions.append_history(["0.13.0"], "0.13.0") == ["0.13.0"]
    assert versions.append_history(None, "0.13.0") == ["0.13.0"]


def test_image_defaults_the_repository():
    assert versions.image("", "0.13.0") == "pravega/bookkeeper:0.13.0"
    assert versions.image("registry.local/bk", "0.13.0") == "registry.local/bk:0.13.0"


@pytest.mark.parametrize("text", ["0.14.0 ", " 0.14.0", "0.14.0\n", "0.14.0\t"])
def test_whitespace_is_not_part_of_a_version(text):
    with pytest.raises(versions.VersionError, match="request version is not in valid format"):
        versions.parse(text)


def test_a_requested_version_must_be_usable_as_an_image_tag():
    assert versions.check_requested("0.6.0-2252.b6f6512") == "0.6.0-2252.b6f6512"
    for text in ("10.20.30+build.1", "0.14.0-" + "a" * 130):
        with pytest.raises(versions.VersionError, match="cannot be an image tag"):
            versions.check_requested(text)
    assert versions.parse("10.20.30+build.1") == (10, 20, 30), "such a version in a status still compares"


def test_a_rollback_goes_to_the_last_stable_version_and_is_refused_elsewhere_in_the_reference_s_words():
    status = {"currentVersion": "0.13.0", "versionHistory": ["0.12.0", "0.13.0"]}
    assert versions.rollback_target(status) == "0.13.0"
    assert versions.rollback_target({"currentVersion": "0.13.0"}) == "0.13.0", "a history the operator left out"
    assert versions.rollback_refusal("0.13.0", "0.13.0") == ""
    assert versions.rollback_refusal("0.12.0", "0.13.0") == (
        "Rollback to version 0.12.0 not supported. Only rollback to version 0.13.0 is supported."
    )
