"""What a text that names something may hold: one rule, so that what people read is what
was stored, in the order it was stored.

A name, title, tag, job title, status update or message is refused when it holds

* a bidirectional control (Unicode's Bidi_Control: U+202A..U+202E, U+2066..U+2069,
  U+200E, U+200F, U+061C), which makes text display in another order than it is stored
  ("Hull\\u202eCity" reads as "HullytiC"); or
* an invisible character: a format character (category Cf, such as U+200B ZERO WIDTH
  SPACE or U+FEFF BYTE ORDER MARK), a default-ignorable code point (U+3164 HANGUL
  FILLER and the other fillers, U+034F, variation selectors out of place...) or U+2800
  BRAILLE PATTERN BLANK, which let two texts that look the same differ, or hide a text.

Joiners keep their legitimate uses: ZWJ and ZWNJ where IDNA's CONTEXTJ rules (RFC 5892)
allow them (after a virama, between joining Arabic letters), ZWJ between two pictographs
(an emoji sequence), a variation selector right after a visible character, and emoji tag
characters after the black flag (the Welsh and Scottish flags).

Long free text (descriptions in Markdown) is held only to the first point: it may carry
zero-width spaces and marks that some scripts need. Anything with nothing visible in it
is blank, whatever it holds. The properties come from ICU (PyICU), not a table of ours.
"""

from __future__ import annotations

import re
import unicodedata

import icu
import idna.core

BIDI_CONTROLS = icu.UnicodeSet("[:Bidi_Control:]")
REORDERING = icu.UnicodeSet(r"[\u202A-\u202E\u2066-\u2069]")  # embeddings, overrides, isolates
INVISIBLE = icu.UnicodeSet(r"[[:Default_Ignorable_Code_Point:][:Cf:]\u2800]")
PICTOGRAPHS = icu.UnicodeSet("[:Extended_Pictographic:]")
VARIATION_SELECTORS = icu.UnicodeSet("[:Variation_Selector:]")
EMOJI_TAGS = icu.UnicodeSet(r"[\U000E0020-\U000E007F]")
EMOJI = icu.UnicodeSet("[:Emoji:]")
IDEOGRAPHS = icu.UnicodeSet("[:Ideographic:]")
MONGOLIAN = icu.UnicodeSet("[:Script=Mongolian:]")
BLACK_FLAG = "\U0001f3f4"
# An emoji tag sequence (UTS #51) that can show a flag: the black flag, a subdivision code
# (ISO 3166-2: two region letters and one to four letters or digits, in tag characters),
# and CANCEL TAG. Any other run of tags shows nothing and could carry a hidden sentence.
FLAG_SEQUENCE = re.compile(
    "\U0001f3f4[\U000e0061-\U000e007a]{2}[\U000e0030-\U000e0039\U000e0061-\U000e007a]{1,4}\U000e007f"
)
ZWJ, ZWNJ = "\u200d", "\u200c"
# Unicode's Stream-Safe Text Format (UAX #15) caps a run of non-starters at 30: no script needs
# more, and a tower of them ("Zalgo" text) is drawn over the lines around it.
MAX_MARKS = 30
MARKS = icu.UnicodeSet("[:M:]")  # combining marks (Mn, Mc, Me)
_SETS = (
    MARKS,
    BIDI_CONTROLS,
    REORDERING,
    INVISIBLE,
    PICTOGRAPHS,
    VARIATION_SELECTORS,
    EMOJI_TAGS,
    EMOJI,
    IDEOGRAPHS,
    MONGOLIAN,
)
for _frozen in _SETS:
    _frozen.freeze()


def _label(char: str) -> str:
    name = unicodedata.name(char, "") or icu.Char.charName(char)
    return f"U+{ord(char):04X} {name}".strip()


def visible(text: str) -> bool:
    """Whether ``text`` shows anything: a character that is neither space nor invisible."""
    return any(not ch.isspace() and not INVISIBLE.contains(ch) for ch in text)


def _joiner_allowed(text: str, at: int) -> bool:
    before, after = text[at - 1 : at], text[at + 1 : at + 2]
    emoji_before = bool(before) and (PICTOGRAPHS.contains(before) or VARIATION_SELECTORS.contains(before))
    if text[at] == ZWJ and emoji_before and bool(after) and PICTOGRAPHS.contains(after):
        return True  # a ZWJ emoji sequence: 👩‍💻
    try:
        return bool(idna.core.valid_contextj(text, at))
    except (ValueError, IndexError):
        return False


def _variation_allowed(char: str, before: str) -> bool:
    """A variation selector only where it selects a variant: emoji or text style after an
    emoji, an ideographic variation (VS17..VS256) after an ideograph, a Mongolian free
    variation selector after a Mongolian letter, VS1..VS14 after a visible character. Anywhere
    else (after a space, VS17 after a Latin letter) it shows nothing and could carry hidden
    bytes, one per selector."""
    if not before or before.isspace() or INVISIBLE.contains(before):
        return False
    code = ord(char)
    if code in (0xFE0E, 0xFE0F):
        return EMOJI.contains(before)
    if 0xE0100 <= code <= 0xE01EF:
        return IDEOGRAPHS.contains(before)
    if 0x180B <= code <= 0x180F:
        return MONGOLIAN.contains(before)
    return True


def _allowed_invisible(text: str, at: int) -> bool:
    """An invisible character in one of the places where it does a visible job."""
    char, before = text[at], text[at - 1 : at]
    if char in (ZWJ, ZWNJ):
        return _joiner_allowed(text, at)
    if VARIATION_SELECTORS.contains(char):
        return _variation_allowed(char, before)
    if EMOJI_TAGS.contains(char):
        flag = text.rfind(BLACK_FLAG, 0, at)
        sequence = FLAG_SEQUENCE.match(text, flag) if flag >= 0 else None
        return sequence is not None and at < sequence.end()
    return False


def _stacked(text: str) -> bool:
    """Whether more than ``MAX_MARKS`` combining marks follow one another anywhere in ``text``."""
    run = 0
    for char in text:
        run = run + 1 if MARKS.contains(char) else 0
        if run > MAX_MARKS:
            return True
    return False


def display_problem(text: str, *, free_text: bool = False) -> str | None:
    """Why ``text`` may not be shown as a name, title, tag or message, or None.
    ``free_text``: long prose (a description), held only to no reordering controls."""
    if not visible(text):
        return "Required: this holds nothing visible (only spaces or invisible characters)."
    if _stacked(text):
        return (
            f"Must not stack more than {MAX_MARKS} combining marks on one character: they spill over the text"
            " around it."
        )
    for at, char in enumerate(text):
        if free_text:
            if REORDERING.contains(char):
                return f"Must not contain a direction-changing character ({_label(char)}): it reorders what is shown."
            continue
        if BIDI_CONTROLS.contains(char):
            return f"Must not contain a direction-changing character ({_label(char)}): it reorders what is shown."
        if INVISIBLE.contains(char) and not _allowed_invisible(text, at):
            return f"Must not contain an invisible character ({_label(char)})."
    return None
