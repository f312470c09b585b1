"""docs/bench.md keeps each source's section: a bench rerun must not erase the GPU or demo record."""


def test_a_new_doc_has_every_section_with_its_placeholder(run_all, tmp_path):
    doc = tmp_path / "bench.md"
    run_all.write_doc(doc, {"run_all": "| a | b |"})
    text = doc.read_text()
    assert "| a | b |" in text
    for name, (title, placeholder) in run_all.SECTIONS.items():
        assert f"## {title}" in text and f"<!-- {name}:begin -->" in text
        if name != "run_all":
            assert placeholder in text


def test_rewriting_one_section_keeps_the_others(run_all, tmp_path):
    doc = tmp_path / "bench.md"
    run_all.write_doc(doc, {"gpu": "H100: 1.23 s/step", "demo": "demo: 5.0 min"})
    run_all.write_doc(doc, {"run_all": "first"})
    run_all.write_doc(doc, {"run_all": "second"})
    text = doc.read_text()
    assert "H100: 1.23 s/step" in text and "demo: 5.0 min" in text
    assert "second" in text and "first" not in text
    assert text.count("<!-- run_all:begin -->") == 1


def test_markdown_table_has_a_header_rule_and_one_line_per_row(run_all):
    lines = run_all.markdown_table(("stage", "s"), [("sft", 1.5), ("rl", 2)])
    assert lines == ["| stage | s |", "|---|---|", "| sft | 1.5 |", "| rl | 2 |"]
