"""Field jargon of substance-use recovery work, each term with a plain alternative a client knows.

One table (:data:`JARGON`) and one finder (:func:`jargon_uses`). Terms are found as a transcriber
writes them too: lower case, plurals, and acronyms spelled out in letters ("M.A.T.", "M-A-T",
"I O P"). The jargon cue (``analysis/cues/detect.py``) uses this finder, so its label and match
are the terms and matched text listed here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["JargonTerm", "JargonUse", "JARGON", "jargon_uses", "whisper_terms"]


@dataclass(frozen=True)
class JargonTerm:
    """A field term: how it is written, its plain alternative, and the written forms that count."""

    term: str
    plain: str
    forms: tuple[str, ...] = ()
    acronym: bool = False
    #: the acronym is also an everyday word ("mat", "wrap", "suds"): undotted, it counts only in capitals
    word: bool = False


@dataclass(frozen=True)
class JargonUse:
    """One use of a term in a text: the term, its plain alternative, the text as written, where (characters)."""

    term: str
    plain: str
    matched: str
    start: int
    end: int


_WORDS = {"MAT", "WRAP", "SUD"}


def _t(term: str, plain: str, *forms: str) -> JargonTerm:
    return JargonTerm(term, plain, forms, acronym=term.isupper() and " " not in term, word=term in _WORDS)


JARGON: tuple[JargonTerm, ...] = (
    _t("IOP", "the day programme", r"intensive outpatient(?: program(?:me)?s?)?"),
    _t("PHP", "the full-day programme", r"partial hospitali[sz]ation(?: program(?:me)?s?)?"),
    _t("MAT", "medicine for recovery", r"medication[- ]assisted (?:treatment|therapy)"),
    _t("MOUD", "medicine for recovery", r"medications? for opioid use disorder"),
    _t("SUD", "a drinking or drug problem", r"substance use disorders?"),
    _t("AUD", "a drinking problem", r"alcohol use disorders?"),
    _t("CBT", "a talking therapy about thoughts and habits", r"cognitive[- ]behaviou?ral (?:therapy|treatment)"),
    _t("DBT", "a skills therapy for strong feelings", r"dialectical[- ]behaviou?r(?:al)? therapy"),
    _t("ASAM", "the assessment of how much support you need", r"asam (?:criteria|level)s?"),
    _t("treatment plan", "your plan", r"treatment plans?"),
    _t("relapse prevention plan", "your plan for hard moments", r"relapse[- ]prevention(?: plans?)?"),
    _t("detox protocol", "the plan for coming off safely", r"detox(?:ification)? protocols?"),
    _t("detox", "coming off safely", r"detox(?:ification)?"),
    _t("continuum of care", "the support that carries on after this", r"continuum of care"),
    _t("level of care", "how much support you get", r"levels? of care"),
    _t("step down", "moving to less support", r"step(?:ping|ped)?[- ]down"),
    _t("aftercare", "support after the programme", r"after[- ]?care"),
    _t("naloxone", "the overdose-reversal medicine", r"naloxone", r"narcan"),
    _t("buprenorphine", "a medicine that eases cravings", r"buprenorphine", r"suboxone"),
    _t("harm reduction", "ways to stay safer", r"harm reduction"),
    _t("co-occurring disorder", "mental health and substance problems together",
       r"co-?occurring(?: disorders?| conditions?)?", r"dual diagnos[ie]s"),
    _t("psychoeducation", "learning about what is going on", r"psycho-?education"),
    _t("recovery capital", "the things that support your recovery", r"recovery capital"),
    _t("intake assessment", "the first meeting", r"intake assessments?"),
    _t("case management", "help sorting out practical things", r"case management"),
    _t("contingency management", "rewards for staying on track", r"contingency management"),
    _t("protective factors", "what keeps you well", r"protective factors?"),
    _t("risk factors", "what makes things harder", r"risk factors?"),
    _t("stages of change", "where you are with changing", r"stages? of change"),
    _t("evidence-based", "shown to work", r"evidence[- ]based"),
    _t("maladaptive", "unhelpful", r"maladaptive"),
    _t("trauma-informed", "aware of what you've been through", r"trauma[- ]informed"),
    _t("sober living", "a shared sober house", r"sober living(?: homes?| houses?)?"),
    _t("12-step", "mutual-help meetings like AA", r"(?:12|twelve)[- ]steps?(?: programs?| programmes?| meetings?)?"),
    _t("DSM", "the diagnosis manual", r"dsm(?:[- ]?(?:5|iv|v))?"),
    _t("methadone", "a medicine for opioid recovery", r"methadone"),
    _t("motivational interviewing", "talking it through together", r"motivational interviewing"),
    _t("precontemplation", "not yet thinking about changing", r"pre-?contemplation(?: stage)?", r"contemplation stage"),
    _t("comorbidity", "two problems at once", r"co-?morbid(?:ity|ities)?"),
    _t("cognitive distortions", "thinking traps", r"cognitive distortions?"),
    _t("step work", "working the steps", r"step work"),
    _t("WRAP", "your wellness plan", r"wrap plans?"),
)


def _letters(acronym: str, word: bool = False) -> str:
    """An acronym in the forms a transcriber writes: "iop", "IOPs", "M.A.T.", "M. A. T.", "M-A-T", "I O P"."""
    lows = [re.escape(c.lower()) for c in acronym]
    dotted = r"\.\s?".join(lows) + r"\.?"
    plain = rf"(?-i:{re.escape(acronym)}(?:'?s)?)" if word else rf"{''.join(lows)}(?:'?s)?"
    return rf"(?:{plain}|{dotted}|{'-'.join(lows)}|{' '.join(lows)})"


def _pattern(t: JargonTerm) -> str:
    forms = list(t.forms)
    if t.acronym:
        forms.append(_letters(t.term, t.word))  # after the long forms ("ASAM criteria" before "ASAM")
    elif not forms:
        forms.append(re.escape(t.term.lower()))
    return "|".join(forms)


# table order decides overlaps ("detox protocol" before "detox"); every term needs word edges on both sides
_ORDERED = JARGON
_RX = re.compile("|".join(rf"(?P<t{i}>(?<![\w.'-])(?:{_pattern(t)})(?![\w-]))" for i, t in enumerate(_ORDERED)),
                 re.IGNORECASE)


def jargon_uses(text: str) -> list[JargonUse]:
    """Every field term in ``text``, in order.

    Parameters
    ----------
    text : str
        One utterance or a whole transcript (any case; Whisper's spelled-out letters included).

    Returns
    -------
    list of JargonUse
        ``term`` as the table writes it ("IOP"), ``plain`` its plain alternative, ``matched`` the text
        as written ("I.O.P."), ``start``/``end`` character offsets in ``text``.
    """
    out: list[JargonUse] = []
    for m in _RX.finditer(text):
        t = _ORDERED[int(m.lastgroup[1:])]
        out.append(JargonUse(t.term, t.plain, m.group(0).strip(), m.start(), m.end()))
    return out


def whisper_terms() -> list[str]:
    """The field's terms as Whisper should write them (for its vocabulary hint)."""
    return [t.term for t in JARGON]
