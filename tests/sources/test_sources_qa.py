from __future__ import annotations


def test_amazonqa(load, fixtures, reasons):
    tables = load("amazonqa", files=[fixtures / "amazonqa/qa.jsonl"])
    questions = tables["questions"]
    assert questions.height == 2
    first = questions.row(0, named=True)
    assert first["question_id"] == "amazonqa:Q1"
    assert first["question"] == 'Does it fit "model X"?'
    assert first["product_id"] == "B00Q000001"
    assert first["evidence"] == ["It fits my model X.", "Great fit"]
    # Most up-votes first; ties broken by the share of up-votes.
    assert first["answers"] == ["Yes it fits", "Yes, checked", "Maybe"]
    assert first["answerable"] is True and first["category"] == "Electronics"
    second = questions.row(1, named=True)
    assert second["question_id"].startswith("amazonqa:") and second["question_id"] != "amazonqa:"
    assert second["answers"] == [] and second["answerable"] is False
    assert reasons(tables["rejected"]) == {3: "empty_text", 4: "duplicate_id", 5: "wrong_type"}
    assert tables["products"].select("product_id", "category").rows() == [
        ("B00Q000001", "Electronics"),
        ("B00Q000002", "Electronics"),
    ]


def test_epqa(load, fixtures, reasons):
    tables = load("epqa", files=[fixtures / "epqa/epqa.csv"])
    questions = tables["questions"]
    assert questions["question_id"].to_list() == ["epqa:18", "epqa:31"]
    fit = questions.row(0, named=True)
    assert fit["product_id"] == "B00545ATZW"
    assert fit["evidence"] == [
        "if you order the correct # it should fit.",
        "this drawer should fit correctly.",
        "unrelated text",
    ]
    assert fit["answerable"] is True
    # The answer written for the label-2 candidate comes first.
    assert fit["answers"] == ["The drawer will fit.", "I'm not sure but it will fit."]
    ice = questions.row(1, named=True)
    assert ice["answerable"] is False and ice["answers"] == ["It probably would work."]
    assert ice["evidence"] == ['compatible_devices: { value:"im1" }', "it probably would work."]
    assert reasons(tables["rejected"]) == {7: "unknown_label", 8: "empty_text"}
    assert tables["products"].select("product_id", "title").rows() == [
        ("B00545ATZW", "Crisper Pan"),
        ("B0052SUOYC", "Ice Maker"),
    ]


def test_mcauley_qa(load, fixtures, reasons):
    tables = load("mcauley_qa", files=[fixtures / "mcauley_qa/qa_Appliances.json"])
    questions = tables["questions"]
    assert questions["question"].to_list() == [
        "Will this Badger 1 install like the original?",
        "Can it be 30' wide?",  # \' is not JSON, but such dumps use it: it is read as '
    ]
    assert questions["answers"].to_list() == [
        ["I replaced my old one without a hitch."],
        ["It's 30'."],
    ]
    assert questions["category"].to_list() == ["Appliances", "Appliances"]
    assert questions["question_type"].to_list() == ["yes/no", "open-ended"]
    assert questions["answerable"].null_count() == 2 and questions["evidence"].null_count() == 2
    assert reasons(tables["rejected"]) == {3: "malformed_json", 4: "duplicate_id", 5: "empty_text"}
