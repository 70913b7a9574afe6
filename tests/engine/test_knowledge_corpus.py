"""The packaged knowledge corpus and the rules `read_corpus` enforces."""

from __future__ import annotations

from importlib.resources import files

import pydantic
import pytest
import yaml

from deepfix_notebook.contract._vocabulary import (
    FaultTarget,
    KnowledgeDomain,
    ProblemCode,
    QueryType,
)
from deepfix_notebook.engine.knowledge import KnowledgeEntry, _corpus, load_corpus
from deepfix_notebook.engine.knowledge._corpus import CorpusError, read_corpus

ENTRY = """\
- id: {id}
  title: "A title"
  content: "Some content about the validation loss."
  source: "Somebody, Some Work, 2020"
  domain: training
  query_types: [diagnostic]
  problem_codes: [overfitting]
  targets: [early_stopping]
  confidence: 0.8
  keywords: [gap]
"""


def entry_yaml(entry_id: str = "an-entry", **changes: str) -> str:
    """One entry as YAML; ``changes`` replace whole ``key: value`` lines."""
    lines = ENTRY.format(id=entry_id).splitlines()
    for key, value in changes.items():
        lines = [
            line[: line.index(":") + 1] + f" {value}" if line[2:].startswith(f"{key}:") else line
            for line in lines
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the real corpus


def test_corpus_loads_enough_entries() -> None:
    entries = load_corpus()
    assert isinstance(entries, tuple)
    assert len(entries) >= 80
    assert all(isinstance(e, KnowledgeEntry) for e in entries)


def test_corpus_is_read_once_per_process() -> None:
    assert load_corpus() is load_corpus()


def test_corpus_ids_are_unique() -> None:
    ids = [e.id for e in load_corpus()]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("code", list(ProblemCode))
def test_every_problem_code_is_covered(code: ProblemCode) -> None:
    assert any(code in e.problem_codes for e in load_corpus())


@pytest.mark.parametrize("target", list(FaultTarget))
def test_every_fault_target_is_covered(target: FaultTarget) -> None:
    assert any(target in e.targets for e in load_corpus())


def test_every_domain_and_query_type_is_present() -> None:
    entries = load_corpus()
    assert {e.domain for e in entries} == set(KnowledgeDomain)
    assert {t for e in entries for t in e.query_types} == set(QueryType)


def test_every_entry_cites_a_source_and_says_something() -> None:
    for entry in load_corpus():
        assert entry.source.strip(), entry.id
        assert entry.title.strip(), entry.id
        assert entry.content.strip(), entry.id
        assert 0.0 <= entry.confidence <= 1.0, entry.id


def test_corpus_follows_the_files_in_name_order() -> None:
    folder = files("deepfix_notebook.engine.knowledge").joinpath("corpus")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".yaml"))
    assert names, "no corpus/*.yaml packaged"
    expected: list[str] = []
    for name in names:
        data = yaml.safe_load(folder.joinpath(name).read_text(encoding="utf-8"))
        expected += [raw["id"] for raw in data]
    assert [e.id for e in load_corpus()] == expected


def test_reloading_gives_the_same_entries() -> None:
    first = load_corpus()
    load_corpus.cache_clear()
    try:
        again = load_corpus()
    finally:
        load_corpus.cache_clear()
    assert again is not first
    assert again == first


# --------------------------------------------------------------------------- entries


def test_entry_is_frozen_and_uses_the_contract_vocabulary() -> None:
    (entry,) = read_corpus([("a.yaml", entry_yaml())])
    assert entry.domain is KnowledgeDomain.TRAINING
    assert entry.query_types == (QueryType.DIAGNOSTIC,)
    assert entry.problem_codes == (ProblemCode.OVERFITTING,)
    assert entry.targets == (FaultTarget.EARLY_STOPPING,)
    assert entry.url is None
    with pytest.raises(pydantic.ValidationError):
        entry.title = "changed"


def test_optional_url_is_kept() -> None:
    text = entry_yaml() + '  url: "https://example.org/paper"\n'
    (entry,) = read_corpus([("a.yaml", text)])
    assert entry.url == "https://example.org/paper"


def test_safe_loader_fallback_reads_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = read_corpus([("a.yaml", entry_yaml())])
    monkeypatch.setattr(_corpus, "_Loader", yaml.SafeLoader)
    assert read_corpus([("a.yaml", entry_yaml())]) == fast


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"problem_codes": "[not_a_code]"}, "problem_codes"),
        ({"targets": "[the_moon]"}, "targets"),
        ({"domain": "cooking"}, "domain"),
        ({"query_types": "[gossip]"}, "query_types"),
        ({"query_types": "[]"}, "query_types"),
        ({"confidence": "1.5"}, "confidence"),
        ({"source": '"   "'}, "source"),
        ({"content": '""'}, "content"),
        ({"id": '"Not A Slug"'}, "id"),
    ],
)
def test_bad_entry_names_file_entry_and_field(change: dict[str, str], fragment: str) -> None:
    text = entry_yaml("first") + entry_yaml("second", **change)
    with pytest.raises(CorpusError) as caught:
        read_corpus([("corpus/x.yaml", text)])
    message = str(caught.value)
    assert message.startswith("corpus/x.yaml, entry #2")
    assert fragment in message


def test_bad_entry_message_names_its_id() -> None:
    with pytest.raises(CorpusError, match=r"entry #1 \(id 'broken'\)"):
        read_corpus([("x.yaml", entry_yaml("broken", confidence="high"))])


def test_missing_field_is_an_error() -> None:
    text = "\n".join(line for line in entry_yaml().splitlines() if "source:" not in line)
    with pytest.raises(CorpusError, match=r"x\.yaml, entry #1 .*source: Field required"):
        read_corpus([("x.yaml", text)])


def test_unknown_key_is_an_error() -> None:
    with pytest.raises(CorpusError, match="author"):
        read_corpus([("x.yaml", entry_yaml() + "  author: me\n")])


def test_duplicate_id_names_both_files() -> None:
    with pytest.raises(CorpusError, match=r"b\.yaml: duplicate id 'same' .*a\.yaml"):
        read_corpus([("a.yaml", entry_yaml("same")), ("b.yaml", entry_yaml("same"))])


def test_malformed_yaml_names_the_file() -> None:
    with pytest.raises(CorpusError, match=r"^broken\.yaml: not valid YAML"):
        read_corpus([("broken.yaml", "- id: [unclosed\n")])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("id: lonely\n", "expected a list of entries, got dict"),
        ("", "expected a list of entries, got NoneType"),
        ("- just a string\n", "entry #1: expected a mapping"),
    ],
)
def test_wrong_shape_is_an_error(text: str, fragment: str) -> None:
    with pytest.raises(CorpusError, match=fragment):
        read_corpus([("x.yaml", text)])


def test_empty_corpus_is_an_error() -> None:
    with pytest.raises(CorpusError, match="empty"):
        read_corpus([])


def test_corpus_error_is_a_value_error() -> None:
    assert issubclass(CorpusError, ValueError)
