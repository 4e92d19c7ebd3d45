"""The messages of document errors, in English and Japanese: one catalogue, keyed by message id.

Every finding about a document that could not be read or does not fit its schema takes its text
from here (`finding`, `positioned`), and the report formats take the description and advice of
each built-in rule from `RULES`. A template is a `str.format` string; a value given as `Words`
is its English text in the English message and its Japanese text in the Japanese one.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from espolicy.report import Finding, error_finding

__all__ = ["Words", "Message", "MESSAGES", "RULES", "RuleText", "words", "finding", "positioned", "rule_text",
           "WORDS", "VALUE_WORDS", "EXPECTED", "FORMAT_NAMES"]


class Words(NamedTuple):
    """A text in both languages."""

    en: str
    ja: str


class Message(NamedTuple):
    """A message template: the rule id of its finding and its text in both languages."""

    rule: str
    en: str
    ja: str


M = Message
MESSAGES: Mapping[str, Message] = {
    # ---- position prefix and suffixes (parts of other messages)
    "at-position": M("", "line {line}, column {column}: ", "{line} 行 {column} 列目: "),
    "rest-unread": M("", "; the rest of the file after this point cannot be read", "。この位置より後の内容は読み込めません"),
    "tab-hint": M("", " (a tab: YAML indents with spaces only)", "（タブ文字です。YAML の字下げには空白のみを使えます）"),

    # ---- reading files and standard input
    "stdin-unreadable": M("unreadable-file", "cannot read standard input: {error}", "標準入力を読み込めません（{error}）。"),
    "file-unreadable": M("unreadable-file", "cannot read {path}: {reason}", "{path} を読み込めません（{reason}）。"),
    "file-not-utf8": M("unreadable-file", "the file is not UTF-8 text: invalid byte 0x{byte} at byte offset {offset}",
                       "ファイルが UTF-8 のテキストではありません（バイトオフセット {offset} に不正なバイト 0x{byte} があります）"),
    "line-not-utf8": M("unreadable-file", "the line is not UTF-8 text: invalid byte 0x{byte} at byte offset {offset}",
                       "この行は UTF-8 のテキストではありません（バイトオフセット {offset} に不正なバイト 0x{byte} があります）"),
    "too-large": M("too-large", "{what} is larger than the limit of {size}, so it was not read "
                   "(documents are far smaller; see Limits.max_bytes)", "{what}が上限の {size} を超えるため、読み込みませんでした"),
    "empty-document": M("empty-document", "the file holds no document (it is empty or only comments)",
                        "ファイルに文書がありません（空か、コメントのみです）。"),
    "empty-in-stream": M("empty-document", "this document of the YAML stream is empty: nothing but blank lines or "
                         "comments follows its `---`", "YAML ストリーム内のこの文書は空です（`---` の後が空行かコメントのみです）"),
    "empty-in-stream-advice": M("", "Write the document after this `---` line, or remove the line.",
                                "この `---` 行の後に文書を書くか、この行を削除してください。"),
    "too-many-documents": M("too-many-documents", "the file holds more than {n} documents ({unit}), the limit: this one "
                            "and the rest of the file were not read",
                            "ファイル内の文書（{unit}）が上限の {n} を超えるため、これ以降は読み込みませんでした"),

    # ---- limits on one document
    "too-deep-to-read": M("parse-error", "the {what} is nested more than {max_depth} levels deep (the limit), so it was "
                          "not read", "{what} の入れ子が上限の {max_depth} 段を超えるため、読み込みませんでした"),
    "too-many-values": M("parse-error", "the document holds more than {max_values} values (the limit), so it was not read",
                         "文書の値が上限の {max_values} 個を超えるため、読み込みませんでした"),
    "nested-too-deeply": M("parse-error", "the document is nested too deeply to read", "文書の入れ子が深すぎるため読み込めません"),
    "alias-cycle": M("parse-error", "a YAML alias refers to the value that contains it (a recursive document cannot be "
                     "checked)", "YAML のエイリアスが自分を含む値を参照しています（再帰的な文書は検査できません）"),
    "alias-too-many-values": M("parse-error", "the document holds more than {max_values} values once its aliases are "
                               "expanded (the limit)", "エイリアスを展開すると文書の値が上限の {max_values} 個を超えます"),
    "alias-too-deep": M("parse-error", "the document is nested more than {max_depth} levels deep once its aliases are "
                        "expanded (the limit)", "エイリアスを展開すると文書の入れ子が上限の {max_depth} 段を超えます"),

    # ---- JSON
    "json-syntax": M("parse-error", "JSON syntax error: {detail}", "JSON の構文エラーです: {detail}"),
    "json-constant": M("parse-error", "`{name}` is not a JSON value (NaN and Infinity are not allowed)",
                       "`{name}` は JSON の値ではありません（NaN と Infinity は使えません）"),
    "json-infinite": M("parse-error", "the number `{number}` is too large to be read as a number",
                       "数値 `{number}` は大きすぎるため数値として読み込めません"),
    "json-long-number": M("parse-error", "a number has {digits} digits, more than the 4300 a number may have",
                          "数値の桁数が {digits} 桁あり、上限の 4300 桁を超えています"),
    "json-unreadable": M("parse-error", "the JSON cannot be read: {reason}", "JSON を読み込めません（{reason}）"),
    "lone-surrogate": M("parse-error", "the {what} text at {pointer} holds {code}, half of a UTF-16 surrogate pair, which "
                        "is not a character", "{what} の {pointer} の文字列に {code}（UTF-16 サロゲートペアの片方のみで、"
                        "文字ではありません）が含まれています"),
    "duplicate-key": M("duplicate-key", "duplicate key `{key}`", "キー `{key}` が重複しています"),
    "duplicate-key-at": M("duplicate-key", "duplicate key `{key}` (first at line {first})",
                          "キー `{key}` が重複しています（最初は {first} 行目）"),

    # ---- YAML
    "yaml-too-deep": M("parse-error", "the YAML is nested too deeply to read", "YAML の入れ子が深すぎるため読み込めません"),
    "yaml-long-number": M("parse-error", "a number has {size} characters, more than the {max} a number may have",
                          "数値が {size} 文字あり、上限の {max} 文字を超えています"),
    "yaml-tag": M("parse-error", "the tag `{tag}` is not allowed: a document holds plain data only (mappings, lists, "
                  "text, numbers, true/false, dates)", "タグ `{tag}` は使えません。文書には通常のデータ（マッピング、"
                  "リスト、文字列、数値、真偽値、日付）のみを記述してください"),
    "yaml-construct": M("parse-error", "the YAML value cannot be built: {problem}", "YAML の値を組み立てられません: {problem}"),
    "yaml-character": M("parse-error", "unacceptable character #x{character:04x}: {reason}",
                        "使用できない文字 #x{character:04x} があります（{reason}）"),
    "yaml-syntax": M("parse-error", "YAML syntax error: {detail}", "YAML の構文エラーです: {detail}"),
    "yaml-unreadable": M("parse-error", "the YAML cannot be read: {error}", "YAML を読み込めません: {error}"),

    # ---- the document as a whole
    "not-a-mapping": M("not-a-mapping", "the document must be a mapping (key: value), not {got}",
                       "文書はマッピング（キー: 値）で記述してください（{got}になっています）。"),
    "missing-kind": M("missing-kind", "the document has no `kind`; it must be one of: {known}",
                      "文書に `kind` がありません。次のいずれかを指定してください: {known}"),
    "missing-kind-near": M("missing-kind", "the document has no `kind` but has the unknown field `{name}`; did you mean "
                           "`kind`? It must be one of: {known}", "文書に `kind` がなく、不明な項目 `{name}` があります。"
                           "`kind` のことではありませんか？次のいずれかを指定してください: {known}"),
    "unknown-kind": M("unknown-kind", "unknown kind `{kind}`; the known kinds are: {known}",
                      "不明な kind `{kind}` です。使用できる kind: {known}"),
    "unknown-kind-near": M("unknown-kind", "unknown kind `{kind}`; did you mean `{near}`? The known kinds are: {known}",
                           "不明な kind `{kind}` です。`{near}` のことではありませんか？使用できる kind: {known}"),
    "schema-unchecked": M("schema-unchecked", "the document could not be checked: {error}",
                          "文書を検査できませんでした（{error}）。"),
    "too-deep": M("too-deep", "the document is nested too deeply to check", "文書の入れ子が深すぎるため検査できません。"),
    "evaluation-error": M("evaluation-error", "the document could not be evaluated: {error}",
                          "文書を評価できませんでした（{error}）。"),
    "date-out-of-range": M("evaluation-error", "a date in this document is out of range: {error}",
                           "この文書の日付が扱える範囲を超えています（{error}）。"),

    # ---- fields against the schema (the rule is `schema-` and the keyword; see `documents.explanations`)
    "required": M("schema-required", "missing required field `{name}` in {where}", "{where} に必須項目 `{name}` がありません。"),
    "unknown-field-near": M("schema-additional-properties", "unknown field `{name}` in {where}; did you mean `{near}`?",
                            "{where} に不明な項目 `{name}` があります。`{near}` のことではありませんか？"),
    "unknown-field-guess": M("schema-additional-properties", "unknown field `{name}` in {where} (the known fields are: "
                             "{known}); did you mean `{near}`?", "{where} に不明な項目 `{name}` があります（使用できる項目: "
                             "{known}）。`{near}` のことではありませんか？"),
    "unknown-field": M("schema-additional-properties", "unknown field `{name}` in {where}; no field is allowed here",
                       "{where} に不明な項目 `{name}` があります。ここには項目を書けません"),
    "quote-number": M("schema-type", "{where} must be text, not a number: quote it, as \"{value}\"",
                      "{where} は数値ではなく文字列で指定してください。\"{value}\" のように引用符で囲んでください。"),
    "wrong-type": M("schema-type", "{where} must be {want}, not {got} ({value})",
                    "{where} は{want}で指定してください（{got} {value} が指定されています）。"),
    "bad-format": M("schema-format", "{where} is not a valid {name}: {why}", "{where} は有効な{name}ではありません: {why}。"),
    "not-in-enum": M("schema-enum", "{where} must be one of: {listed} (got `{value}`)",
                     "{where} は次のいずれかで指定してください: {listed}（指定値: `{value}`）。"),
    "not-in-enum-near": M("schema-enum", "{where} must be one of: {listed} (got `{value}`); did you mean `{near}`?",
                          "{where} は次のいずれかで指定してください: {listed}（指定値: `{value}`）。`{near}` のことではありませんか？"),
    "not-const": M("schema-const", "{where} must be `{want}` (got `{value}`)", "{where} は `{want}` で指定してください（指定値: `{value}`）。"),
    "no-pattern-match": M("schema-pattern", "{where} `{value}` does not have the required form: {form}",
                          "{where} の値 `{value}` は必要な形式（パターン {pattern}）に合っていません。"),
    "below-minimum": M("schema-minimum", "{where} must be at least {limit} (got {value})",
                       "{where} は {limit} 以上で指定してください（指定値: {value}）。"),
    "above-maximum": M("schema-maximum", "{where} must be at most {limit} (got {value})",
                       "{where} は {limit} 以下で指定してください（指定値: {value}）。"),
    "too-short": M("schema-min-length", "{where} must have at least {limit} character(s)", "{where} は {limit} 文字以上で指定してください。"),
    "too-long": M("schema-max-length", "{where} must have at most {limit} characters (it has {size})",
                  "{where} は {limit} 文字以内で指定してください（{size} 文字あります）。"),
    "schema-other": M("", "{where}: {detail}", "{where} がスキーマの条件（{keyword}）を満たしていません: {detail}"),

    # ---- why a string does not have its format (the {why} of `bad-format`)
    "date-form": M("", "`{text}` is not written YYYY-MM-DD", "`{text}` は YYYY-MM-DD の形式ではありません"),
    "date-missing": M("", "{text} does not exist in the calendar", "{text} は暦に存在しない日付です"),
    "datetime-form": M("", "`{text}` is not written like {example}", "`{text}` は {example} のような形式ではありません"),
    "datetime-no-seconds": M("", "`{text}` has no seconds; write them, as in {example}",
                             "`{text}` に秒がありません。{example} のように秒まで指定してください"),
    "datetime-no-offset": M("", "`{text}` has no UTC offset; the offset is required, e.g. \"{text}+09:00\" for Japan time",
                            "`{text}` に UTC からの時差がありません。日本時間なら \"{text}+09:00\" のように時差を付けてください"),
    "datetime-missing": M("", "{text} does not exist (date, time or offset out of range)",
                          "{text} は存在しない日時です（日付・時刻・時差のいずれかが範囲外です）"),
    "email-form": M("", "`{text}` is not an email address (like name@example.com)",
                    "`{text}` はメールアドレス（name@example.com のような形式）ではありません"),
}
del M

# Words that messages are made of.
WORDS: Mapping[str, Words] = {
    "the file": Words("the file", "ファイル"), "standard input": Words("standard input", "標準入力"),
    "the line": Words("the line", "この行"), "the text": Words("the text", "テキスト"),
    "lines": Words("lines", "行"), "YAML documents": Words("YAML documents", "文書"),
}

# What a value is (for type errors), by the first type it is an instance of.
VALUE_WORDS: tuple[tuple[type | tuple[type, ...], Words], ...] = (
    (bool, Words("true/false", "真偽値")), (int, Words("a number", "数値")), (float, Words("a decimal number", "小数")),
    (str, Words("text", "文字列")), (type(None), Words("empty (null)", "空（null）")), (dict, Words("a mapping", "マッピング")),
    (list, Words("a list", "リスト")),
)

# What a JSON Schema `type` asks for.
EXPECTED: Mapping[str, Words] = {
    "string": Words("text", "文字列"), "integer": Words("a whole number", "整数"), "number": Words("a number", "数値"),
    "boolean": Words("true or false", "true または false"), "object": Words("a mapping (key: value)", "マッピング（キー: 値）"),
    "array": Words("a list", "リスト"), "null": Words("null", "null"),
}

FORMAT_NAMES: Mapping[str, Words] = {"date": Words("date", "日付"), "date-time": Words("date and time", "日時"),
                                     "email": Words("email address", "メールアドレス")}


def not_json(type_name: str) -> Words:
    """What a value is that JSON cannot hold: `a Python set (not a JSON value)`."""
    return Words(f"a Python {type_name} (not a JSON value)", f"JSON では表せない値（Python の {type_name}）")


def words(message_id: str, /, **values: Any) -> Words:
    """The message `message_id` in both languages, its placeholders filled with `values`."""
    message = MESSAGES[message_id]
    en = {k: v.en if isinstance(v, Words) else v for k, v in values.items()}
    ja = {k: v.ja if isinstance(v, Words) else v for k, v in values.items()}
    return Words(message.en.format(**en), message.ja.format(**ja))


def finding(message_id: str, path: str = "", /, *, rule: str | None = None, **values: Any) -> Finding:
    """The error finding of message `message_id` at the JSON Pointer `path` (its rule from the
    catalogue unless `rule` is given)."""
    text = words(message_id, **values)
    return error_finding(rule or MESSAGES[message_id].rule, text.en, text.ja, path)


def positioned(message_id: str, line: int | None, column: int | None, /, **values: Any) -> Finding:
    """The error finding of message `message_id`, its text starting with the line and column when known."""
    return positioned_words(MESSAGES[message_id].rule, line, column, words(message_id, **values))


def positioned_words(rule: str, line: int | None, column: int | None, text: Words) -> Finding:
    """An error finding of `rule` whose message starts with its position, when known (the Japanese
    one ends with a full stop)."""
    if line is None:
        return error_finding(rule, text.en, text.ja + "。")
    at = words("at-position", line=line, column=column)
    return error_finding(rule, at.en + text.en, at.ja + text.ja + "。", line=line, column=column)


# ---------------------------------------------------------------- the built-in rules

class RuleText(NamedTuple):
    """What the report formats say about a built-in rule: a description and advice (English)."""

    description: str
    advice: str


_FIX_SHAPE = "Correct the document so that it matches the schema of its kind; the finding's message names the field."
_FIX_SYNTAX = "Correct the YAML or JSON at the line and column the finding gives."
_FIX_FILE = "Make sure the file holds a document as UTF-8 text and can be read."
_SEE = "See the finding's message."

RULES: Mapping[str, RuleText] = {
    "parse-error": RuleText("The document cannot be parsed: a YAML or JSON syntax error", _FIX_SYNTAX),
    "duplicate-key": RuleText("A key appears twice in one mapping", _FIX_SYNTAX),
    "unreadable-file": RuleText("The file cannot be read, or is not UTF-8 text", _FIX_FILE),
    "empty-document": RuleText("The file holds no document", _FIX_FILE),
    "not-a-mapping": RuleText("The document is not a mapping (key: value)", _FIX_SHAPE),
    "missing-kind": RuleText("The document has no kind, or one that has no schema", _FIX_SHAPE),
    "too-deep": RuleText("The document is nested too deeply to check", _SEE),
    "evaluation-error": RuleText("The document could not be evaluated", _SEE),
}


def rule_text(rule_id: str) -> RuleText:
    """The description and advice of a built-in rule (schema keywords and unknown ids included)."""
    known = RULES.get(rule_id)
    if known is not None:
        return known
    if rule_id.startswith("schema-"):
        keyword = rule_id[len("schema-"):].replace("-", " ")
        return RuleText(f"The document does not match its schema ({keyword})", _FIX_SHAPE)
    return RuleText(f"The document is invalid ({rule_id})", _SEE)
