"""The fonts of the 公文 layout (GB/T 9704-2012), by their installed names.

Names of fonts are data, not interface: the i18n check leaves this module alone
(docs/architecture.md, i18n-data).
"""

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
H1_FONT = "黑体"
H2_FONT = "楷体_GB2312"
