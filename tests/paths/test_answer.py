from hypothesis import given, settings
from hypothesis import strategies as st

from pafas_cli.paths.answer import TAGS, format_answer, format_list, parse_answer, stated_conclusion
from pafas_cli.paths.taxonomy import default_taxonomy

TAXONOMY = default_taxonomy()
# Every top-down prefix of every leaf path: all answers a sample can carry.
PATHS = sorted({TAXONOMY.path_to(leaf)[:k] for leaf in TAXONOMY.leaves for k in range(1, TAXONOMY.level(leaf) + 1)})
paths = st.sampled_from(PATHS)
thinks = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200).filter(
    lambda t: not any(tag in t for tag in TAGS))
spaces = st.text(" \t\n", max_size=3)


@settings(max_examples=200, deadline=None)
@given(think=thinks, nodes=paths)
def test_format_then_parse_round_trips(think, nodes):
    parsed = parse_answer(format_answer(think, nodes), TAXONOMY)
    assert parsed.well_formed, parsed.error
    assert parsed.think == think
    assert parsed.nodes == nodes
    assert parsed.deepest == nodes[-1]
    assert parsed.decision == parsed.branch == (1 if nodes[0] == "Real Face" else 0)
    assert parsed.listed == nodes


@settings(max_examples=200, deadline=None)
@given(nodes=paths, a=spaces, b=spaces, c=spaces, d=spaces)
def test_whitespace_around_tags_and_items_is_tolerated(nodes, a, b, c, d):
    items = f",{c}".join(f"{d}'{n}'{c}" for n in nodes)
    text = f"{a}<think>x</think>{b}<answer>{c}[{items}]{d}</answer>{a}"
    parsed = parse_answer(text, TAXONOMY)
    assert parsed.well_formed and parsed.nodes == nodes


@settings(max_examples=200, deadline=None)
@given(nodes=paths, junk=st.text(min_size=1, max_size=20))
def test_text_after_the_answer_is_malformed(nodes, junk):
    text = format_answer("x", nodes) + junk
    parsed = parse_answer(text, TAXONOMY)
    assert parsed.well_formed == (junk.strip() == "")


@settings(max_examples=100, deadline=None)
@given(nodes=paths, cut=st.integers(min_value=1, max_value=10))
def test_truncated_completions_are_malformed(nodes, cut):
    text = format_answer("reasoning", nodes)
    parsed = parse_answer(text[:-cut], TAXONOMY)
    assert not parsed.well_formed and parsed.decision is None and parsed.error


def test_malformed_answers_say_why():
    cases = {
        "<answer>['Real Face']</answer>": "expected <think>",
        "<think>a</think><answer>Real Face</answer>": "square brackets",
        "<think>a</think><answer>['Real face']</answer>": "'Real face' is not a taxonomy node",
        "<think>a</think><answer>['Spoof Face', 'Print Attacks']</answer>": "not a top-down taxonomy path",
        "<think>a</think><answer>[]</answer>": "non-empty list",
        "<think>a</think><answer>[1, 2]</answer>": "non-empty list",
        "<think>a<think>b</think><answer>['Real Face']</answer>": "more than once",
        "<think>a</think><answer>['Real Face'] </answer><answer>['Real Face']</answer>": "more than once",
        "<think>a</think><answer>[__import__('os')]</answer>": "not a list of quoted names",
    }
    for text, error in cases.items():
        parsed = parse_answer(text, TAXONOMY)
        assert not parsed.well_formed and error in parsed.error, (text, parsed.error)


def test_a_broken_path_keeps_its_items_and_branch_but_no_decision():
    broken = parse_answer("<think>a</think><answer>['Spoof Face', 'Print Attacks']</answer>", TAXONOMY)
    assert not broken.well_formed and broken.decision is None and broken.nodes == ()
    assert broken.listed == ("Spoof Face", "Print Attacks") and broken.branch == 0
    live = parse_answer("<think>a</think><answer>['Real Face', 'Nonsense']</answer>", TAXONOMY)
    assert not live.well_formed and live.branch == 1
    for text in ("<think>a</think><answer>['Print Attacks']</answer>", "<think>a</think><answer>['Real Face'"):
        assert parse_answer(text, TAXONOMY).branch is None


def test_raw_answers_parse_only_when_allowed():
    text = format_answer(None, ("Real Face",))
    assert text == "<answer>['Real Face']</answer>"
    assert not parse_answer(text, TAXONOMY).well_formed
    parsed = parse_answer(text, TAXONOMY, require_think=False)
    assert parsed.well_formed and parsed.think is None and parsed.decision == 1


def test_format_list_is_the_python_list_literal():
    nodes = TAXONOMY.path_to("Cut Print Attack")
    assert format_list(nodes) == repr(list(nodes))


@settings(max_examples=100, deadline=None)
@given(nodes=paths, lead=st.sampled_from(["Verdict: {}.", "Conclusion: {}.", "So the answer is {}."]))
def test_stated_conclusion_reads_the_final_verdict(nodes, lead):
    think = "Could it be Real Face? IR shows no skin glow, ruling out Real Face. " + lead.format(nodes[-1])
    assert stated_conclusion(think, TAXONOMY) == nodes


def test_stated_conclusion_needs_a_final_verdict():
    assert stated_conclusion(None, TAXONOMY) is None
    assert stated_conclusion("Verdict: Print Attacks. Depth shows a flat plane.", TAXONOMY) is None
    assert stated_conclusion("But Depth shows a flat plane, ruling out Real Face.", TAXONOMY) is None
    assert stated_conclusion("Verdict: a print.", TAXONOMY) is None
