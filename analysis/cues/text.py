"""Text helpers shared by the cue rules: normalising, tokens, feeling words, question form.

English only; every pattern is hand-written.
"""

from __future__ import annotations

import re

__all__ = [
    "FEELING_WORDS", "normalise", "words", "content_words", "is_question", "question_type",
    "feelings_named", "is_backchannel", "english_share", "yes_no_form",
    "open_form", "closed_form", "statement_form", "sentences",
]

def _rx(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(phrases) + r")\b", re.IGNORECASE)


_FEELINGS = """
sad sadness unhappy down low blue depressed depression miserable hopeless helpless
angry anger mad furious irritated annoyed frustrated frustrating frustration resentful bitter
scared afraid fear fearful frightened terrified anxious anxiety worried worry worrying nervous panic
panicky stressed stress stressful overwhelmed overwhelming tense uneasy
lonely alone isolated abandoned rejected unwanted unloved betrayed
ashamed shame guilty guilt embarrassed humiliated worthless useless stupid
hurt hurting upset devastated heartbroken grief grieving crushed broken lost empty numb
tired exhausted drained stuck trapped confused torn ambivalent drowning fraud failure
jealous disappointed discouraged desperate insecure
happy glad excited relieved proud hopeful grateful thankful calm content confident
""".split()
FEELING_WORDS = frozenset(_FEELINGS)

_STOP = frozenset(
    """a an the and or but so if then of to in on at for with from by as is are was were be been being
    am i me my mine you your yours we us our he she it its they them their this that these those there here
    do does did done have has had having will would can could should shall may might must not no yes
    yeah okay ok well just really very quite like um uh mm hmm oh know think mean get got go going
    what how why when where who which all any some more most much many than too also about up out
    s t don didn doesn isn wasn aren re ve ll d m""".split()
)

_WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def normalise(text: str) -> str:
    """Lower-case, straighten quotes and squeeze spaces."""
    t = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", t).strip()


def words(text: str) -> list[str]:
    """Lower-case word tokens (apostrophes kept inside words)."""
    return _WORD_RE.findall(normalise(text))


def content_words(text: str) -> set[str]:
    """Word tokens minus function words, with a crude plural/-ing strip."""
    out = set()
    for w in words(text):
        w = w.split("'")[0]
        if w in _STOP or len(w) < 3:
            continue
        for suf in ("ing", "ed", "s"):
            if w.endswith(suf) and len(w) - len(suf) >= 3:
                w = w[: -len(suf)]
                break
        out.add(w)
    return out


# ---------------------------------------------------------------- questions
_WH_START = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|now|alright|right|um|uh|yeah)[, ]+)*"
    r"(?:what|how|why|where|when|who|which|tell me|describe|in what way|help me understand)\b"
)
_IMPERATIVE_Q = re.compile(
    r"^(?:(?:so|and|okay|ok|well|now)[, ]+)*(?:tell me (?:more|about|what|how|why)|describe|help me understand|walk me through)\b"
)
_CLOSED_WH = re.compile(
    r"^(?:(?:so|and|but|okay|well)[, ]+)*(?:how (?:many|much|often|long|old)|what time|which|"
    r"(?:when|where|who) (?:did|do|does|is|was|were|are|will)\b|(?:when|where|who)'s\b|"
    # one fact by its noun: "what shift did they put you on?", "what day is court?" (issue 25's fourth blind batch)
    r"what (?:day|days|time|shift|date|year|month|week|number|dose|street|station|kind of \w+|type of \w+) "
    r"(?:did|do|does|is|was|were|are|will|would)\b)\b"
)


_YES_NO = re.compile(
    r"^(?:(?:so|and|but|okay|ok|well|now|alright|right|um|uh|yeah)[, ]+)*(?:do|does|did|is|are|was|were|am|can|could|"
    r"would|will|have|has|had|should|shall|may|might|isn't|aren't|don't|doesn't|didn't|won't|wouldn't|can't|couldn't|"
    r"haven't|hasn't)\b(?! you (?:tell me|say more|describe|walk me|help me understand))"
)


def yes_no_form(question: str) -> bool:
    """The last question starts with a verb ("Is your sponsor coming?", "Do you want to?"): answerable by yes or no.

    "Can you tell me more about...?" invites talk and is not counted."""
    return bool(_YES_NO.match(_last_question(question)))


def open_form(question: str) -> bool:
    """The last question opens with what/how/why ("What goes through your mind when it does?"): open in form.

    Fact questions ("how many", "when did") and yes/no questions are not; MITI counts a question in
    this form as open whoever asks it, so it decides over a classifier's open/closed call."""
    q = _after_lead_in(_last_question(question))
    return bool(_WH_START.match(q) and not _CLOSED_WH.match(q) and not _YES_NO.match(q))


# a verb first and then who or what it asks about ("are you", "does your doctor", "is that"): a yes/no question, not a
# what-question whose first word the transcriber put in the turn before ("...would a good night look like for you?")
_YES_NO_SUBJECT = re.compile(_YES_NO.pattern + r" (?:you|your|he|she|they|it|that|this|there|we|i|his|her|my|our|their|"
                             r"the|anyone|anybody|someone|somebody|everything|anything)\b")
# fact-question openings that ask for a story: "where does that leave you?", "where do you go from here?"
_OPEN_IDIOM = re.compile(r"^(?:(?:so|and|but|okay|ok|well)[, ]+)*where (?:does|do|did|is|will) (?:that|this|it|all (?:this|that)) "
                         r"(?:leave|put|take)\b|^(?:(?:so|and|but|okay|ok|well)[, ]+)*where do (?:you|we) go from here\b")


def closed_form(question: str) -> bool:
    """The last question is yes/no ("Are you working nights now?") or asks one fact ("What time's the appointment?"):
    closed in form (MITI), so it decides over a classifier's open call. "Can you tell me more?" and "Where does that
    leave you?" are neither."""
    q = _after_lead_in(_last_question(question))
    if _OPEN_IDIOM.match(q):
        return False
    return bool(_CLOSED_WH.match(q) or _YES_NO_SUBJECT.match(q))


def asks_yes_no(clause: str) -> bool:
    """The clause asks yes or no with its verb first and a subject after it ("Did you tell the house manager",
    "Is she your roommate"), even where the transcriber wrote no "?" ("did you tell the house manager,"); a clause
    ending in "." is left to :func:`is_question`."""
    c = normalise(clause).strip()
    return bool(_YES_NO_SUBJECT.match(_after_lead_in(c))) and not c.endswith(".")


def statement_form(question: str) -> bool:
    """The last question is a statement said with a rising voice ("You want them to see a mom who's present now?"):
    neither a what/how/why opening nor a verb first."""
    q = _last_question(question)
    return not (_WH_START.match(q) or _YES_NO.match(q) or _IMPERATIVE_Q.match(q))


def sentences(text: str) -> list[str]:
    """The text cut after each ".", "!" or "?" (as written; callers normalise or strip as they need)."""
    return re.split(r"(?<=[.!?])\s+", text)


def _last_question(text: str) -> str:
    """The last sentence ending in '?' (normalised), else the last sentence."""
    t = normalise(text)
    qs = [s for s in sentences(t) if s.endswith("?")]
    return qs[-1] if qs else _last_sentence(t)


def _after_lead_in(q: str) -> str:
    """A question without a lead-in before its what/how/why ("and with your sister, what happened?")."""
    return re.sub(r"^.*?,\s*(?=(?:what|how|why|tell me)\b)", "", q) if "," in q else q


def _last_sentence(text: str) -> str:
    parts = [p.strip() for p in sentences(normalise(text)) if p.strip()]
    return parts[-1] if parts else ""


def is_question(text: str) -> bool:
    """True when the utterance ends as a question (a '?' or a question opening in its last sentence)."""
    last = _last_sentence(text)
    if not last:
        return False
    if last.endswith("?") or _IMPERATIVE_Q.match(last):
        return True
    return bool(_WH_START.match(last) and not last.endswith("."))


def question_type(text: str) -> str:
    """'open' or 'closed' for a question (yes/no, tag and fact questions are closed)."""
    q = _after_lead_in(_last_question(text))
    if _CLOSED_WH.match(q):
        return "closed"
    if _WH_START.match(q) or re.search(r"\b(?:tell me (?:more|about)|what (?:else|would|do|does|did|is|are))\b", q):
        return "open"
    return "closed"


# "right?", "yeah?" said alone: a continuer with a rising voice, not a question (the transcriber writes the backchannel
# "Right." as "right?"; AnnoMI's experts code a lone "yeah?" other 13 times, question 8)
_BACKCHANNEL = re.compile(r"^(?:(?:mm+-?hmm+|mhm+|uh-?huh|yeah|yes|yep|right|okay|ok|sure|i see|oh|ah|wow|hmm+|mm+|got it|alright)[.,!?]?\s*){1,3}$")
_EN_COMMON = frozenset(
    "the a an and or but i you he she it we they is are was were be have has do did not to of in on for with that this "
    "what how why so my your me him her them at as if no yes can will would just like know think feel".split()
)


def _first(rx: re.Pattern[str], text: str) -> str | None:
    m = rx.search(normalise(text))
    return m.group(0) if m else None


def feelings_named(text: str) -> list[str]:
    """Feeling words in the utterance, in order, without repeats."""
    seen: list[str] = []
    for w in words(text):
        if w in FEELING_WORDS and w not in seen:
            seen.append(w)
    return seen


def is_backchannel(text: str) -> bool:
    """A short acknowledgement ("mm-hmm", "okay", "I see")."""
    return bool(_BACKCHANNEL.match(normalise(text)))


def english_share(text: str) -> float:
    """Share of tokens that are very common English words (0 to 1); low means likely not English."""
    toks = re.findall(r"\w+", text.lower())
    if not toks:
        return 0.0
    return sum(t in _EN_COMMON for t in toks) / len(toks)
