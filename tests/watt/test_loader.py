from watt.files.loader import parse_text


def test_yaml_documents_carry_their_first_line_and_index() -> None:
    text = "# comment\nkind: A\nmetadata: {name: a}\n---\n\nkind: B\n---\n---\nkind: C\n"
    result = parse_text(text, is_json=False)
    assert result.error is None
    assert [(d.body["kind"], d.line, d.index) for d in result.documents] == [("A", 2, 1), ("B", 6, 2), ("C", 9, 3)]


def test_a_syntax_error_reports_its_line_and_returns_no_documents() -> None:
    text = "kind: A\n---\nkind: B\nspec: [1, 2\n"
    result = parse_text(text, is_json=False)
    assert result.documents == ()
    assert result.error is not None and result.error.line == 5
    assert "flow sequence" in result.error.message


def test_list_documents_are_expanded_into_their_items() -> None:
    text = "kind: List\nitems:\n- {kind: A}\n- {kind: B}\n"
    assert [d.body["kind"] for d in parse_text(text, is_json=False).documents] == ["A", "B"]


def test_timestamps_stay_the_strings_the_user_wrote() -> None:
    body = parse_text("kind: A\nwhen: 2020-01-02\n", is_json=False).documents[0].body
    assert body["when"] == "2020-01-02"


def test_json_files_parse_and_report_their_error_line() -> None:
    assert parse_text('{"kind": "A"}', is_json=True).documents[0].body == {"kind": "A"}
    broken = parse_text('{\n"kind": "A",\n}', is_json=True)
    assert broken.documents == () and broken.error is not None and broken.error.line == 3
