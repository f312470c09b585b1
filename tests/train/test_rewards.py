"""Rewards: what each scores, and that a reward never scores a completion against another row's label."""

import pytest

from pafas_cli.errors import PafasError
from pafas_cli.train.rewards import (REWARDS, RewardAlignmentError, classification_reward, consistency_reward,
                                     format_reward, hierarchical_classification_reward, path_credit,
                                     resolve_reward)

LIVE = ["Real Face"]
PRINT = ["Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Print Attacks",
         "Flat Print Attack"]
REPLAY = ["Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Replay Attacks",
          "Mobile Screen Replay Attack"]


def answer(nodes, think="The depth map is flat."):
    listed = "[" + ", ".join(f"'{n}'" for n in nodes) + "]"
    return [{"role": "assistant", "content": f"<think>{think}</think><answer>{listed}</answer>"}]


def test_format_reward_checks_the_template_not_the_taxonomy():
    """The paper's format reward: the tags and one list of quoted names; what the names say is the
    classification reward's business."""
    completions = [answer(LIVE), answer(PRINT), "<think>x</think><answer>['Real Face'", answer(["Nonsense"]),
                   answer(["Spoof Face", "Print Attacks"]), "<answer>['Real Face']</answer>",
                   "<think>x</think><answer>Real Face</answer>", "<think>x</think><answer>[]</answer>",
                   "<think>a</think><think>b</think><answer>['Real Face']</answer>"]
    assert format_reward(completions) == [1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_classification_is_binary_and_uses_each_rows_own_label():
    completions = [answer(LIVE), answer(PRINT), answer(LIVE), answer(REPLAY), "garbage"]
    labels = [1, 1, 0, 0, 0]
    assert classification_reward(completions, label=labels) == [1.0, 0.0, 0.0, 1.0, 0.0]


def test_an_invalid_path_earns_the_format_reward_but_no_class_credit():
    broken = answer(["Spoof Face", "External Spoofing Attacks", "Presentation Media Attacks", "Replay Attacks",
                     "Flat Print Attack"])
    unknown_inner = answer(["Spoof Face", "Nonsense"])
    no_branch = answer(["Print Attacks"])
    completions = [broken, broken, unknown_inner, no_branch, answer(REPLAY)]
    assert format_reward(completions) == [1.0] * 5
    logged = {}
    scores = classification_reward(completions + [answer(LIVE)], label=[0, 1, 0, 0, 0, 1],
                                   log_metric=logged.__setitem__)
    assert scores == [0.0, 0.0, 0.0, 0.0, 1.0, 1.0]
    assert logged == {"path_valid/live": 1 / 2, "path_valid/spoof": 1 / 4}  # counted: live broken+LIVE, spoof 4


def test_the_format_reward_is_as_easy_for_either_class_and_logs_its_rate_per_class():
    """The old rule (a valid taxonomy path) passed every one-item live answer but only the spoof paths whose
    five nodes were all right: a reward easier for one class. Counted by hand: a batch of template-correct
    answers, half of the spoof paths with one wrong inner node, scores 1 for every answer of both classes."""
    wrong_inner = answer(PRINT[:3] + ["Replay Attacks", "Flat Print Attack"])
    completions = [answer(LIVE)] * 4 + [answer(PRINT), wrong_inner] * 2 + ["<think>x</think>"] * 2
    labels = [1, 1, 1, 1, 0, 0, 0, 0, 1, 0]
    logged = {}
    scores = format_reward(completions, label=labels, log_metric=logged.__setitem__)
    assert scores == [1.0] * 8 + [0.0, 0.0]
    assert logged == {"format/live": 4 / 5, "format/spoof": 4 / 5}  # 1 malformed of 5 in each class


def test_hierarchical_gives_partial_credit_down_the_known_path():
    wrong_inner = answer(PRINT[:3] + ["Replay Attacks", "Flat Print Attack"])
    completions = [answer(PRINT), answer(REPLAY), answer(LIVE), answer(PRINT[:2]), wrong_inner]
    attacks = [PRINT, PRINT, PRINT, PRINT[:4], PRINT]
    labels = [0, 0, 0, 0, 0]
    scores = hierarchical_classification_reward(completions, label=labels, attack=attacks)
    assert scores == [1.0, 3 / 5, 0.0, 2 / 4, 3 / 5]
    assert path_credit(PRINT, ["Spoof Face"]) == 1.0


def test_consistency_compares_the_stated_verdict_with_the_answer():
    agree = answer(PRINT, think="The IR image is dark. Verdict: Flat Print Attack.")
    disagree = answer(LIVE, think="The IR image is dark. Verdict: Flat Print Attack.")
    unstated = answer(LIVE, think="The skin looks natural.")
    assert consistency_reward([agree, disagree, unstated]) == [1.0, 0.0, 0.0]


def test_column_shorter_than_completions_is_refused():
    """The VLM-R1 bug: columns repeated a different number of times than the completions."""
    with pytest.raises(RewardAlignmentError, match="2 values for 4 completions"):
        classification_reward([answer(LIVE)] * 4, label=[1, 0])


def test_rows_of_one_sample_with_different_labels_are_refused():
    completions = [answer(LIVE)] * 4
    with pytest.raises(RewardAlignmentError, match="id 'a'"):
        classification_reward(completions, label=[1, 0, 1, 0], id=["a", "a", "b", "b"])


def test_label_contradicting_attack_path_is_refused():
    with pytest.raises(RewardAlignmentError, match="contradicts"):
        classification_reward([answer(LIVE)], label=[1], attack=[PRINT], id=["a"])


def test_aligned_batch_from_grpo_repeats_scores_each_completion_against_its_row():
    # Two prompts x G=2, as GRPOTrainer passes them: every column repeated per generation.
    completions = [answer(LIVE), answer(PRINT), answer(PRINT), answer(LIVE)]
    columns = dict(label=[1, 1, 0, 0], attack=[LIVE, LIVE, PRINT, PRINT], id=["a", "a", "b", "b"])
    assert classification_reward(completions, **columns) == [1.0, 0.0, 1.0, 0.0]


def test_registry_and_escape_hatch():
    assert {"format", "classification", "classification_hierarchical", "consistency"} <= set(REWARDS)
    assert resolve_reward("classification").__name__ == "classification"
    hierarchical = resolve_reward("classification", "hierarchical")
    assert hierarchical.__name__ == "classification"
    assert hierarchical([answer(PRINT[:3])], label=[0], attack=[PRINT]) == [3 / 5]
    custom = resolve_reward("pafas_cli.train.rewards:path_credit")
    assert custom.__name__ == "path_credit"
    with pytest.raises(PafasError, match="unknown reward 'accuracy'"):
        resolve_reward("accuracy")
    with pytest.raises(PafasError, match="cannot load"):
        resolve_reward("no_such_module_xyz:fn")


def test_answer_only_rewards_when_reasoning_is_not_required():
    from pafas_cli.train.rewards import resolve_reward

    completions = [[{"role": "assistant", "content": "<answer>['Real Face']</answer>"}]]
    strict_format, lenient_format = resolve_reward("format"), resolve_reward("format", require_think=False)
    assert strict_format(completions) == [0.0]
    assert lenient_format(completions) == [1.0]
    assert lenient_format([[{"role": "assistant", "content": "<answer>Nonsense</answer>"}]]) == [0.0]
    classify = resolve_reward("classification", require_think=False)
    assert classify(completions, label=[1], id=["a"], attack=[["Real Face"]]) == [1.0]
    assert classify(completions, label=[0], id=["a"], attack=[["Spoof Face"]]) == [0.0]


def test_rewards_parse_against_the_given_taxonomy():
    from pafas_cli.paths.taxonomy import Taxonomy

    custom = Taxonomy.from_mapping({"live": "Bona Fide", "tree": {"Bona Fide": {}, "Attack": {"Print": {}}}})
    completions = [answer(["Bona Fide"]), answer(["Attack", "Print"]), answer(LIVE)]
    labels = [1, 0, 1]
    assert classification_reward(completions, taxonomy=custom, label=labels) == [1.0, 1.0, 0.0]
    assert classification_reward(completions, label=labels) == [0.0, 0.0, 1.0]
    bound = resolve_reward("consistency", taxonomy=custom)  # the stated verdict is read in the custom taxonomy
    stated = [answer(["Attack", "Print"], think="Verdict: Print."), answer(["Attack", "Print"],
                                                                           think="Verdict: Real Face.")]
    assert bound(stated) == [1.0, 0.0]
    with pytest.raises(RewardAlignmentError, match="contradicts"):
        resolve_reward("classification", taxonomy=custom)(completions[:1], label=[0], attack=[["Bona Fide"]])


def test_completion_text_reads_every_shape_trl_passes():
    """Plain strings, conversational messages, and content given as typed parts (text parts joined in order,
    image parts skipped); anything else is refused by type name."""
    from pafas_cli.train.rewards import completion_text

    parts = [{"type": "text", "text": "<think>a</think>"}, {"type": "image"}, "stray",
             {"type": "text", "text": "<answer>['Real Face']</answer>"}]
    assert completion_text([{"role": "assistant", "content": parts}]) == "<think>a</think><answer>['Real Face']</answer>"
    assert completion_text([{"role": "assistant"}]) == ""
    assert completion_text([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]) == "a"
    assert format_reward([[{"role": "assistant", "content": parts}]]) == [1.0]
    for bad, name in ((["just text"], "list"), ([], "list"), (7, "int")):
        with pytest.raises(TypeError, match=rf"^unexpected completion type {name}$"):
            completion_text(bad)


def test_missing_or_misaligned_columns_are_named():
    with pytest.raises(RewardAlignmentError, match=r"^reward needs the dataset column 'label', which is missing$"):
        classification_reward([answer(LIVE)])
    with pytest.raises(RewardAlignmentError, match="column 'label', which is missing"):
        classification_reward([answer(LIVE)], label=None)
    with pytest.raises(RewardAlignmentError, match=r"^column 'id' has 1 values for 2 completions$"):
        classification_reward([answer(LIVE)] * 2, label=[1, 1], id=["a"])
    with pytest.raises(RewardAlignmentError, match=r"^rows with id 'a' carry different 'label' values: the columns "
                                                   r"are not aligned with the completions$"):
        classification_reward([answer(LIVE)] * 2, label=[1, 0], id=["a", "a"])


def test_one_sample_s_attack_path_is_the_same_as_a_list_or_a_tuple():
    """Rows of one id must agree on the path, however the column holds it; a different path is refused."""
    completions = [answer(PRINT), answer(PRINT[:2])]
    scores = hierarchical_classification_reward(completions, label=[0, 0], attack=[PRINT, tuple(PRINT)], id=["a", "a"])
    assert scores == [1.0, 2 / 5]
    with pytest.raises(RewardAlignmentError, match="'attack'"):
        hierarchical_classification_reward(completions, label=[0, 0], attack=[PRINT, REPLAY], id=["a", "a"])


def test_registered_rewards_require_reasoning_unless_told_otherwise():
    """Called directly (as TRL would with the defaults), every reward gives an answer-only completion nothing."""
    bare = [[{"role": "assistant", "content": "<answer>['Spoof Face']</answer>"}]]
    assert format_reward(bare) == [0.0]
    assert classification_reward(bare, label=[0]) == [0.0]
    assert hierarchical_classification_reward(bare, label=[0], attack=[PRINT]) == [0.0]
    assert consistency_reward(bare) == [0.0]
    assert classification_reward(bare, require_think=False, label=[0]) == [1.0]
    assert hierarchical_classification_reward(bare, require_think=False, label=[0], attack=[PRINT]) == [1 / 5]
    hierarchical = resolve_reward("classification", "hierarchical", require_think=False)
    assert hierarchical(bare, label=[0], attack=[PRINT]) == [1 / 5]
    assert resolve_reward("classification", "hierarchical")(bare, label=[0], attack=[PRINT]) == [0.0]


def test_hierarchical_and_consistency_use_the_given_taxonomy():
    from pafas_cli.paths.taxonomy import Taxonomy

    custom = Taxonomy.from_mapping({"live": "Bona Fide", "tree": {"Bona Fide": {}, "Attack": {"Print": {}}}})
    print_path = ["Attack", "Print"]
    completions = [answer(print_path, think="Flat and dark. Verdict: Print."), answer(["Bona Fide"])]
    columns = dict(label=[0, 1], attack=[print_path, ["Bona Fide"]])
    assert hierarchical_classification_reward(completions, taxonomy=custom, **columns) == [1.0, 1.0]
    assert resolve_reward("classification", "hierarchical", taxonomy=custom)(completions, **columns) == [1.0, 1.0]
    assert consistency_reward(completions[:1], taxonomy=custom) == [1.0]


def test_consistency_by_hand():
    """One path a prefix of the other agrees (a shallow answer under a deep verdict); a malformed answer, or
    one without a stated verdict, gets nothing, wherever it stands in the batch."""
    verdict = "The IR image is dark. Verdict: Flat Print Attack."
    shallow = answer(["Spoof Face"], think=verdict)
    unstated = answer(LIVE, think="The skin looks natural.")
    malformed = answer(["Spoof Face", "Nonsense"], think=verdict)
    assert consistency_reward([unstated, shallow, malformed, answer(PRINT, think=verdict)]) == [0.0, 1.0, 0.0, 1.0]


def test_path_credit_without_a_known_path_is_zero():
    assert path_credit(PRINT, []) == 0.0
    assert path_credit([], PRINT) == 0.0


def test_resolve_reward_by_hand():
    """Only `classification` switches to the hierarchical reward; malformed module:function names are refused by
    name, and a named function is called as it is."""
    fmt = resolve_reward("format", "hierarchical")
    assert fmt.__name__ == "format" and fmt.__doc__ == format_reward.__doc__
    assert fmt([answer(PRINT[:3]), "<think>x</think><answer>Nonsense</answer>"]) == [1.0, 0.0]  # no label column
    known = "classification, classification_hierarchical, consistency, format"
    for bad in ("accuracy", "pafas_cli.train.rewards:", ":format_reward"):
        with pytest.raises(PafasError, match=rf"^rl.rewards: unknown reward '{bad}' \(known: {known}; or give "
                                             r"module:function\)$"):
            resolve_reward(bad)
    with pytest.raises(PafasError, match=r"^rl.rewards: 'pafas_cli.train.rewards:REWARDS' is not callable$"):
        resolve_reward("pafas_cli.train.rewards:REWARDS")
    custom = resolve_reward("pafas_cli.train.rewards:format_reward")
    assert custom.__name__ == "format_reward" and custom([answer(LIVE), "junk"]) == [1.0, 0.0]
    assert custom.__doc__ == format_reward.__doc__
