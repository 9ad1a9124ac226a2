"""The i18n check (tests/i18n.py): the real tree, and the rule on small sources."""

from tests.i18n import check, raw_strings


def test_every_user_facing_string_goes_through_gettext():
    problems = check()
    assert not problems, "\n".join(problems)


def test_a_raw_chinese_literal_is_flagged():
    assert raw_strings('label = "项目名称"\n') == [(1, "项目名称")]


def test_a_gettext_call_is_accepted():
    source = (
        "from django.utils.translation import gettext, gettext_lazy as _\n"
        'label = _("项目名称")\n'
        'def f():\n    return gettext("已保存")\n'
    )
    assert raw_strings(source) == []


def test_a_chinese_fstring_is_flagged_even_inside_gettext():
    source = 'def f(n):\n    return _(f"已删除 {n} 个")\n'
    assert [text for _line, text in raw_strings(source)] == ["已删除 ", " 个"]


def test_a_docstring_and_a_log_message_are_accepted():
    source = (
        '"""模块说明。"""\n'
        "import logging\n"
        "logger = logging.getLogger(__name__)\n"
        "def f():\n"
        '    """函数说明。"""\n'
        '    logger.info("导入完成")\n'
    )
    assert raw_strings(source) == []


def test_a_literal_that_is_not_the_first_argument_is_flagged():
    assert raw_strings('x = _("%(n)s 个", "个")\n') == [(1, "个")]


def test_a_regular_expression_is_not_interface():
    assert raw_strings('import re\nDATE = re.compile(r"\\d+年")\n') == []
    # Only the pattern: a replacement text is shown to someone.
    assert raw_strings('import re\nre.sub(r"年", "年度", text)\n') == [(2, "年度")]
