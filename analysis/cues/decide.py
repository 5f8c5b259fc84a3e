"""One decision per helper utterance: its final codes, from the model's behaviour and the rules.

:func:`decide_turn` is the only place where the classifier's main behaviour (question,
reflection, input, other) and the rule cues meet. ``detect_cues`` emits exactly its codes, so the
report's cues, the behaviour codes, the MITI summary, the scorer (through ``CueView``), the scenario
checklist (cue counts) and the practice reply reader (``classify_reply``) all see one answer.

The rules come from the definitions (MITI 4.2.1; docs/stages/cues.md), decided per clause
(sentences, and a ", but ..." tail) and joined:

* a clause that minimises or reassures ("at least", "don't worry", "everyone slips"), confronts
  (sarcasm included: MITI codes a reflection said with a sarcastic tone as Confront), persuades or
  gives advice (also as a question: "Have you tried...?", "Why don't you...?") is never a
  reflection, whatever the model's probability; advice phrased as a question is advice, not a
  question;
* a turn can carry several codes: a reflection or validation followed by an open question counts
  as both;
* advice after asking permission (earlier in the turn or in the helper's previous two turns) is
  "after_permission", otherwise "unasked".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import analysis.cues.rules as R
from analysis.cues.types import CLASSIFIER_SURE
from analysis.cues.text import asks_yes_no, closed_form, open_form, statement_form

__all__ = ["CodeHit", "TurnDecision", "decide_turn", "clauses", "lead_statement"]

_RULE_CONF = 0.6  # main behaviour read by rules alone
_CUE_CONF = 0.8  # a rule cue

# Split into sentences, and a ", but ..." / " - ..." tail off its sentence.
_SPLIT = re.compile(r"(?<=[.!?;])\s+|,\s+(?=but\b)|\s+[-\u2013\u2014]+\s+")
# In a reflection clause, words that put what follows in the client's mouth ("you feel you have to").
_ATTRIBUTE = re.compile(
    r"\b(?:feel|feels|felt|feeling|think|thinks|thought|believe|say|said|saying|told|want|wanted|wish|"
    r"worr\w*|afraid|scared|wonder\w*|know|knew|guess|reckon|sense|hope|decided|reali[sz]\w*|mean|meant|would like|'d like|if|"
    r"can't|cannot|unsure|not sure|torn)\b"
)


@dataclass(frozen=True)
class CodeHit:
    """One code on one utterance: a cue ``kind`` with its ``label``, the phrase that shows it, its confidence."""

    kind: str
    label: str = ""
    match: str = ""
    confidence: float = _CUE_CONF
    source: str = "rules"


@dataclass(frozen=True)
class TurnDecision:
    """The final reading of one helper utterance.

    ``behaviour``/``subtype`` is the main behaviour (AnnoMI's four classes, what the held-out
    figures score); ``hits`` are every code the turn carries (multi-label); ``reason`` says in
    words why, and ``model_behaviour`` holds the model's call when the rules overruled it.
    """

    behaviour: str
    subtype: str = ""
    hits: tuple[CodeHit, ...] = ()
    reason: str = ""
    model_behaviour: str = ""
    probabilities: Mapping[str, float] = field(default_factory=dict)

    def has(self, kind: str) -> bool:
        return any(h.kind == kind for h in self.hits)

    def hit(self, kind: str) -> CodeHit | None:
        return next((h for h in self.hits if h.kind == kind), None)

    @property
    def codes(self) -> tuple[str, ...]:
        """Code names as the claims bench and ``CueView`` spell them ("open_question", "complex_reflection", ...)."""
        out: list[str] = []
        for h in self.hits:
            if h.kind in ("question", "reflection"):
                out.append(f"{h.label}_{h.kind}")
            else:
                out.append(h.kind)
                if h.kind == "advice" and h.label == "after_permission":
                    out.append("advice_after_permission")
        if self.behaviour == "input" and self.subtype == "information":
            out.append("information")
        return tuple(dict.fromkeys(out))


def clauses(text: str) -> list[str]:
    """Sentences of an utterance, with a ", but ..." tail split off (lower-cased, quotes straightened)."""
    return [c.strip() for c in _SPLIT.split(R.normalise(text)) if c and c.strip(" ,.;")]


@dataclass
class _Clause:
    text: str
    question: bool
    stem: str | None
    advice: str | None
    persuade: str | None
    minimising: str | None
    confront: str | None
    sarcasm: str | None
    validation: str | None
    permission: str | None
    described: str | None = None  # a directive in the words that describes, not directs ("a clinic you have to walk into")

    @property
    def blocked(self) -> bool:
        """Minimising, confronting, persuading or advising: never a reflection."""
        return bool(self.minimising or self.confront or self.sarcasm or self.advice or self.persuade)


# Directives that, inside a reflection, usually say back the client's own need ("it sounds like you need to rest")
_OBLIGATION = re.compile(r"\b(?:need to|have to|must|got to|gotta|can't keep|if you don't|you'll)\b")


_EPISTEMIC_MUST = re.compile(r"\byou must (?:have )?(?:been |be )?(?:like|love|feel|felt|think|know|miss|hate|want|wonder|"
                             r"be (?:so |really |pretty )?\w+|have|really)\b")


def _narrated(text: str, match: str) -> bool:
    """ "you just let it go" tells what someone did; "just let it go" tells them to."""
    pos = text.find(match)
    return match.startswith("just ") and bool(re.search(r"\b(?:you|i|he|she|they|we)\s+$", text[:pos]))


# The helper's own view ("I think you should", "I'd say you need to") is advice, not the client's words.
_OWN_VIEW = re.compile(r"\b(?:i|we)(?:'d|'m| would| do| really| just| honestly| kind of| sort of)?\s+$")
# A directive inside a subordinate clause describes, it does not direct: "a place where you have to
# be on guard", "when you have to face him" (advice is said in a main clause).
# ("before you could tell her": a time told, issue 25's third blind batch; "a clinic you have to walk into")
_SUBORDINATE = re.compile(r"\b(?:where|when|whenever|while|which|who|whom|because|since|until|till|unless|though|"
                          r"although|before|after|than|the way|everything|anything|nothing|something|all the things|"
                          r"things|"
                          # a noun the directive describes, with no "that" ("a clinic you have to walk into every
                          # morning": issue 25's fourth blind batch)
                          r"(?:a|an|the|this|those|these|every|one|some) (?:[a-z'-]+ ){0,2}[a-z'-]+)\s+$")


def _attributed(before: str) -> bool:
    """The last verb of feeling, saying or thinking before a directive has the client (not I/we) as subject."""
    last = None
    for m in _ATTRIBUTE.finditer(before):
        last = m
    if last is None:
        return False
    if last.group(0) == "if":  # "I wonder if you could try": the helper's own suggestion
        return not re.search(r"\b(?:wonder|wondering|see)\s+$", before[: last.start()])
    return not _OWN_VIEW.search(before[: last.start()])


def _in_client_mouth(text: str, stem: str | None, match: str | None) -> bool:
    """True when a directive is the client's, not the helper's: "you feel you have to", "you were told you must".

    Attributed (a verb of feeling, saying or thinking before it whose subject is not the helper:
    "I think you should" stays advice), an inference ("you must like it"), a subordinate clause
    that describes ("a place where you have to be on guard"), or, inside a reflection, an obligation
    said back ("it sounds like you need to rest").
    """
    if not match:
        return False
    pos = text.find(match)
    if pos < 0:
        return False
    before = text[:pos]
    if _attributed(before) or _EPISTEMIC_MUST.search(text) or _SUBORDINATE.search(before):
        return True
    return bool(stem) and bool(_OBLIGATION.search(match))


# not suggestions: an invitation to talk ("why don't you tell me about yourself"), asking about the
# client's own thinking ("have you thought about when...?"), a wh-question about the past ("what have
# you tried before?"), asking permission ("would it be okay if we...")
_INVITE = re.compile(r"\b(?:start by )?(?:tell|telling|talk|talking|say|share|sharing|describe|walk me)\b")
_ABOUT_THINKING = re.compile(r"\b(?:thought about|considered) (?:when|what|how|whether|why|where|who|if)\b")
_WH_FIRST = re.compile(r"^(?:[\w'-]+[,.]?\s+){0,3}?(?:what|which|how|when|where|who|why)\b(?! don't| not)")


_TAG = re.compile(r",? (?:okay|ok|alright|all right|right|yeah|yes|deal)\?$")


def _tagged_order(c: str) -> str | None:
    """An order with a tag question ("And try not to skip the next one, okay?"): advice, not a question."""
    if not _TAG.search(c):
        return None
    body = _TAG.sub("", c)
    m = _TRY_NEXT_TIME.search(body) or _DO_THIS.search(body) or R.match_advice(body)
    return m if isinstance(m, str) else m.group(0) if m else None


def _suggestion(c: str) -> str | None:
    """A suggestion phrased as a question, by its form (``R.match_advice_question``), minus what only looks like one."""
    m = R.match_advice_question(c)
    if not m or R.match_permission(c) or _ABOUT_THINKING.search(c):
        return None
    tail = c[c.find(m) + len(m):]
    if _INVITE.match(tail.strip()) or (_WH_FIRST.match(c) and not m.startswith(("why", "what if", "what about", "how about"))):
        return None
    return m


# "you might look for a route", "you could call her": a suggestion by its verb (not "you could lose it")
_YOU_COULD = re.compile(r"\byou (?:could|might|may want to|can always) (?:just |always |also )?(?:look for|look into|call|ask|"
                        r"go to|try|talk to|write|take|find|join|reach out|tell|start|bring|plan|use|check|switch|"
                        r"download|text|sign up|set up|put|leave|change|avoid)\b")
# "try" + a way of doing something, as a suggestion: "next time, try walking past it", "maybe try calling"
_TRY_NEXT_TIME = re.compile(r"^(?:so |well |and |maybe |then )*(?:next time,? |just )?try (?:actually |just |really )?"
                            r"(?:to |not |\w+ing\b)")
# the words that may open a plan handed over ("then", "first", "and", ...), before its doing verb
_LEAD_WORDS_RX = (r"^(?:(?:then|and|so|also|first thing|first|second|third|next|just|maybe|oh|okay|ok|well|now|plus|honestly|but|"
                  r"next time|this time|seriously|look|listen|please|right|alright|all right|good|tonight|tomorrow)[, ]+)*")
_LEAD_WORDS = re.compile(_LEAD_WORDS_RX)
# a plan handed over as orders: "then line up a call with your sponsor", "first, drive yourself", "and bring your own
# drinks" (a sentence that opens with a doing verb addressed to the client; not "take your time", "call me", "tell me")
_DO_THIS = re.compile(
    _LEAD_WORDS_RX +
    r"(?:go(?: (?:to|for|see|back|in|with|home|this|today|tonight|tomorrow|now)|[.!]?$)|call (?!me\b)|give (?:it|yourself|him|her|them)\b|quit|hand (?:it|him|her|them|over)\b|line up|drive|bring|print|fly (?:out|home|back|in)|"
    r"tell (?:(?!me\b|us\b)\w+ (?:you|that|what|how|about|to|it|the truth)\b|him|her|them|your|one|someone|a |the )|"
    r"change (?:your|yours|it|the)|"
    r"set (?:up|an|a|yourself)|text (?!me\b)|ask (?:him|her|them|your|for|someone)|take (?:a |the |some |it |your (?!time))|"
    r"write|find|join|skip|leave|avoid|get (?:a |some |rid|yourself|your |to |out|help|in touch)|put|plan|"
    r"make (?:a |sure|it |time)|stay (?:away|with|close|home)|pick|grab|use|sign up|reach out|talk to|start(?! to finish)|stop|"
    r"remember to|download|look (?:for|into)|cut (?:down|back)|switch|replace|limit|schedule|"
    r"keep (?:a |track|your|it |the )|show up|throw (?:out|away)|drink (?:plenty|more|lots|water)|"
    r"don't (?:let|argue|explain|skip|drink|use|tell|call|text|answer|sign|give))\b"
)
# "you should be proud", "you need to be heard": about the client's worth or need, not a fix
_NOT_A_FIX = re.compile(r"\byou (?:really |just )?(?:should|need to|deserve to|have to|must) (?:be|feel) "
                        r"(?:really |so |very )?(?:proud|heard|listened to|understood|believed|taken seriously|"
                        r"respected|safe)\b")


# a statement about the client or what they told: "you've carried a lot", "so it was the one thing just for you",
# "that's what really shook you" (not "I", not a fact about the programme)
_ABOUT_CLIENT = re.compile(r"^(?:(?:so|and|okay|ok|well|yeah|oh|now|right)[, ]+)*(?:you|you're|you've|you'd|your|so it|it was|"
                           r"that's what|that was|being)\b")
# a whole turn of acknowledgement and go-on words ("okay, yeah, i'm following you", "wow, okay. keep going")
_ACK = r"(?:okay|ok|yeah|yes|right|alright|all right|wow|mm+|mm-?hmm|uh-?huh|sure|i see|got it|oh)"
_CONTINUER = re.compile(
    rf"^(?:{_ACK}[,.!]?\s*)*(?:i'm (?:following|with) you(?: so far)?|i follow you|keep going|go on|"
    rf"i'm listening|go ahead|carry on)[,.!]?(?:\s*(?:{_ACK}|keep going|go on|i'm listening)[,.!]?)*$")
# "You're carrying a lot of guilt", "you've been so lonely": a feeling said back to the client in a statement
_YOU_FEELING = re.compile(r"^(?:(?:so|and|okay|ok|well|yeah|oh)[, ]+)*you(?:'re| are|'ve| have|'d| had| still| must)?\b")
# "That fear of running out of time is real", "your anger makes sense": the client's feeling called valid
_VALID_TAIL = re.compile(r"\b(?:is|was|'s) (?:so |really |completely |totally )?(?:real|understandable|valid|natural|normal)\b|"
                         r"\bmakes (?:total |a lot of |complete )?sense\b")
# "Of course that's uncomfortable": the feeling called natural (issue 25's sixth blind batch)
_OF_COURSE = re.compile(r"^(?:(?:oh|and|well|yeah)[, ]+)*(?:of )?course,? you(?:'d| would| do| did)? (?:\w+ )?(?:want|miss|keep|feel|"
                        r"dread|worry|hate|wish|wonder|care|love|replay)|"
                        r"\bof course,? (?:that's|that is|it's|it is|it was|that was|you're|you are|you'd be|you feel|you felt) "
                        r"(?:\w+ )?(?:hard|uncomfortable|scary|frightening|painful|upsetting|awkward|nerve-racking|heavy|"
                        r"a lot|tough|hurts|hurt|scared|nervous|angry|upset|sad|afraid|worried|lonely)\b")


# sympathy for what happened to the client: "I'm so sorry about Marcus", "I'm sorry you went through that"
_SYMPATHY = re.compile(r"\bi(?:'m| am) (?:so |really |very |truly )?sorry (?:about|for|to hear|that|you|it)\b")


# the reaction called what anyone would have ("that shaking would rattle anyone", "night after night of that would wear
# anybody down"): validation (kept apart from the classifier's lexicon)
_ANYONE_WOULD = re.compile(r"\bwould (?:\w+ )?(?:rattle|scare|shake|frighten|upset|worry|throw|wear|get to|hurt|break|"
                           r"exhaust|overwhelm|floor|gut|sting|unsettle)(?: down| out)? (?:anyone|anybody|most people)\b|"
                           # "Anyone coming down off something that long would be shaky", "Any mom who loves her kid
                           # would be gutted reading that" (issue 25's seventh batch)
                           r"^(?:(?:and|so|well|honestly|yeah|oh)[, ]+)*(?:anyone|anybody|any (?:mom|mother|dad|father|parent|"
                           r"person|one of us|of us))\b[^.?!]{0,60}?\bwould (?:be|feel|get) (?:so |really |pretty |a bit |a little )?"
                           r"(?:shaky|rattled|shaken|gutted|wrecked|scared|terrified|frightened|nervous|anxious|angry|furious|"
                           r"upset|sad|hurt|lost|overwhelmed|exhausted|torn|crushed|heartbroken|devastated|ashamed|"
                           r"embarrassed|humiliated|worried|afraid|on edge|thrown|floored|jumpy)\b|"
                           # "anybody would flinch at that", "Anybody'd dread walking back in there", "Any mom-to-be would
                           # want that answered first" (issue 25's eighth batch)
                           r"\b(?:anyone|anybody|any (?:mom|mother|dad|father|parent|person|mom-to-be|one of us))"
                           r"(?: who [^.?!,]{1,40}?)?(?:'d| would) (?:\w+ )?(?:flinch|dread|want (?:that|this|it|answers|to know)|struggle|hesitate|worry|panic|"
                           r"freeze|wobble|be turning|feel that|feel the same|react)\b")


# "It's real, and it's heavy." said of what the client feels: the feeling called real, in a sentence of its own
# (issue 25's seventh batch); not "that's real money"
_IT_IS_REAL = re.compile(r"^(?:(?:and|but|oh|yeah)[, ]+)*(?:it's|that's|it is|that is) (?:so |really |very |completely )?"
                         r"(?:real|valid|understandable)(?=[,.!]|\s+and\b|$)")


def _feeling_valid(c: str) -> str | None:
    s = _SYMPATHY.search(c) or _ANYONE_WOULD.search(c) or _OF_COURSE.search(c) or _IT_IS_REAL.match(c)
    if s:
        return s.group(0)
    m = _VALID_TAIL.search(c)
    return m.group(0) if m and R.feelings_named(c[: m.start()]) else None


# Affirmations beyond the lexicon the classifier's features read (rules.match_affirmation; kept apart so the
# shipped model's inputs do not change): an effort or strength named ("you earned that", "reaching out
# takes strength", "that's a brave step", "you should be really proud")
_AFFIRM_MORE = re.compile(
    r"\byou earned (?:that|this|it|every|your)\b|"
    r"\b(?:took|takes) (?:a lot of |real |some |so much |great )?(?:courage|guts|nerve|strength|bravery|commitment|"
    r"determination|honesty|integrity)\b|\b(?:that's|that is|it's|it is) no small (?:thing|step|feat)\b|\byou should be (?:really |so |very )?proud\b|"
    r"\b(?:that's|that is) a (?:big|brave|huge|real|major) (?:step|change)\b|"
    r"\b(?:that's|that is) (?:real )?(?:grit|guts|heart|resilience)\b|\b(?:its|it's) own kind of (?:strong|brave|courage|strength)\b|"
    r"\bthat says a lot about you\b|\bthat says how much (?:he|she|they|it|this|that|you) (?:matters?|means?|care)\b|\bcongratulations\b|\byou held your ground\b"
)


def _affirms(text: str) -> str | None:
    """An affirmation of the client's strengths or efforts (the lexicon, or ``_AFFIRM_MORE``)."""
    more = _AFFIRM_MORE.search(R.normalise(text))
    return R.match_affirmation(text) or (more.group(0) if more else None)


def _says_back(question: str) -> str | None:
    """A reflection stem in a question's clothes ("So what you're saying is you had a rough night?")."""
    return R.match_reflection_clause(question.rstrip(" ?") + ".")


# a reassurance quoted as someone else's ("Her 'you'll be fine' lands like she's not hearing you"): said back, not said
_QUOTED = re.compile(r"\b(?:her|his|their|your (?:mom|dad|mother|father|sponsor|boss|wife|husband|doctor)'s)\s*['\"]?$")


def _minimising(c: str) -> str | None:
    m = R.match_minimising(c)
    if m is None:
        return None
    before = c[: c.find(m)] if m in c else ""
    return None if _QUOTED.search(before) else m  # not _attributed: "Frank would want you to go easy on yourself" reassures


def _read(c: str) -> _Clause:
    # a one-word fragment ("what", a word the turn split cut off the next sentence) is no question
    question = R.is_question(c) and (c.rstrip().endswith("?") or len(c.split()) >= 2) or asks_yes_no(c)
    stem = None if question else R.match_reflection_clause(c)
    if question:
        # a question is advice only in a suggestion's form ("why don't you", "have you tried") or an order
        # with a tag ("and try not to skip the next one, okay?"); "what do you need to do next?" asks
        advice, persuade, described = _suggestion(c) or _tagged_order(c), None, None
        if advice is None:  # "Maybe try actually showing up this week?": a suggestion with a rising voice
            m = _TRY_NEXT_TIME.search(c)
            advice = m.group(0) if m else None
    else:
        advice, described = _suggestion(c) or R.match_advice(c), None
        if advice and advice != _suggestion(c) and (_in_client_mouth(c, stem, advice) or _narrated(c, advice)):
            advice, described = None, advice
        for rx in (_TRY_NEXT_TIME, _YOU_COULD, _DO_THIS):  # "next time try walking past it", "you might look for"
            m = rx.search(c) if advice is None else None
            if m and not _in_client_mouth(c, stem, m.group(0)):
                advice = m.group(0)
        if advice is None and not stem:
            # orders the transcriber ran together with commas ("then the two of you go to the manager together,
            # bring the foil, write down the dates"): an order opening a comma-separated part (issue 25's seventh batch)
            for seg in re.split(r",\s+", c)[1:]:
                m = _DO_THIS.match(seg)
                if m and not _in_client_mouth(c, stem, m.group(0).strip()):
                    advice = m.group(0).strip()
                    break
        persuade = R.match_persuade(c)
        if persuade and (_in_client_mouth(c, stem, persuade) or _NOT_A_FIX.search(c)):
            persuade = None  # "you need to be heard first": the client's need, not a fix
    confront = R.match_confront(c)
    if confront and (_in_client_mouth(c, stem, confront) or (stem and confront in ("you always", "you never"))):
        confront = None  # "so you never felt heard", "you want to be honest": the client's words
    return _Clause(
        text=c, question=question, stem=stem, advice=advice, persuade=persuade, described=described,
        minimising=_minimising(c), confront=confront, sarcasm=R.match_sarcasm(c),
        validation=None if question else R.match_validation(c) or _feeling_valid(c), permission=R.match_permission(c),
    )


def _rule_main(parts: list[_Clause], text: str) -> tuple[str, str]:
    """Main behaviour by rules alone, from the clauses."""
    refl = [p for p in parts if p.stem and not p.blocked]
    qs = [p for p in parts if p.question and not (p.advice or p.persuade)]
    if refl and not qs:
        return "reflection", ""
    if qs:
        return "question", ""
    if any(p.advice or p.persuade for p in parts):
        return "input", "advice"
    if any(p.minimising or p.confront or p.sarcasm for p in parts):
        return "other", ""
    if len(R.words(text)) >= 12 and not _affirms(text) and not any(p.validation for p in parts):
        return "input", "information"
    return "other", ""


def _own_plan(directive: str, previous_client: str) -> bool:
    """The directive's doing verb is the client's own plan in their last words ("Maybe I just tell her I went",
    "I think I'll call my sponsor"): said back, not a fix (MITI codes it a reflection)."""
    rest = _LEAD_WORDS.sub("", directive)
    verb = rest.split(" ", 1)[0] if rest else ""
    if not verb or not previous_client:
        return False
    # a plan, not a condition ("if I tell on her, she gets kicked out": the helper's "Tell the manager today" directs)
    plan = (r"(?<!\bif )(?<!\bwhen )(?<!\bunless )(?<!\bwhether )(?<!\bbefore )(?<!\bonce )\bi(?:'ll|'m going to|'m gonna| will| could| should| might| can| need to| have to| want to| think i'll|"
            r" think i should| guess i'll| guess i should)?(?: just| maybe| probably| really| finally)? ")
    return bool(re.search(plan + re.escape(verb) + r"\b", R.normalise(previous_client)))


def lead_statement(text: str) -> str | None:
    """The statements before a turn's last question, when the turn asks after saying something, else None.

    "Relief and shame, hitting you in the same moment. How are you carrying both of those now?" gives
    "Relief and shame, hitting you in the same moment." ``detect_cues`` has the classifier read this
    part alone (``decide_turn(lead_behaviour=...)``): a turn that reflects and then asks carries both codes.
    None when the question is not open (a tag or yes/no question checks a fact), when a clause before it is a
    fix, reassurance or confrontation, is itself a question, or speaks neither of the client nor of a feeling.
    """
    parts = [_read(c) for c in clauses(text)]
    real_qs = [p for p in parts if p.question and not (p.advice or p.persuade)]
    if not real_qs or any(p.blocked for p in parts) or R.match_sarcasm(text):
        return None
    lead = parts[: parts.index(real_qs[-1])]
    if not lead or any(p.question for p in lead) or len(R.words(" ".join(p.text for p in lead))) < 3:
        return None
    if not open_form(real_qs[-1].text):  # "Your ninety days is coming up. Isn't it?": checking a fact, no reflect-then-ask
        return None
    # every statement speaks of the client or is a bare acknowledgement ("Okay."): a fact read out before
    # the question ("It looks like cholesterol statin.", "Medicines keep best away from heat.") is no reflection
    if not all(_of_client(p.text) or R.is_backchannel(p.text) for p in lead) or not any(_of_client(p.text) for p in lead):
        return None
    return " ".join(p.text for p in lead)


_SECOND_PERSON = re.compile(r"\b(?:you|your|you're|you've|you'd|you'll|yourself)\b")


def _of_client(clause: str) -> bool:
    """The clause speaks of the client: a second-person word, or a feeling named."""
    return bool(_SECOND_PERSON.search(R.normalise(clause)) or R.feelings_named(clause))


def decide_turn(
    text: str,
    previous_client: str = "",
    *,
    model_behaviour: str | None = None,
    probabilities: Mapping[str, float] | None = None,
    model_subtype: str = "",
    permission_before: bool = False,
    lead_behaviour: str | None = None,
) -> TurnDecision:
    """Decide the codes of one helper utterance.

    Parameters
    ----------
    text : str
        The helper's utterance.
    previous_client : str
        The client's last utterance before it ("" when none): tells simple from complex reflections.
    model_behaviour : str, optional
        The classifier's main behaviour (question, reflection, input, other); ``None`` reads it by rules.
    probabilities : mapping, optional
        The classifier's class probabilities (0 to 1); the confidence of the model's codes.
    model_subtype : str
        The classifier's subtype (open/closed, simple/complex, advice/information), "" when none.
    permission_before : bool
        The helper asked permission in one of their previous two turns.
    lead_behaviour : str, optional
        The classifier's main behaviour for the statements before the turn's question read alone
        (:func:`lead_statement`; ``None`` when not read): "reflection" makes them a reflection too.

    Returns
    -------
    TurnDecision
        Pure: the same text and model output always give the same decision.
    """
    probs = dict(probabilities or {})
    parts = [_read(c) for c in clauses(text)]
    for p in parts:  # "Tell her, and leave what it means up to her." after "Maybe I just tell her...": her plan said back
        if p.advice and _DO_THIS.match(p.text) and _own_plan(p.text, previous_client):
            p.advice = None
    sarcasm = R.match_sarcasm(text)  # a sarcastic turn read whole ("Oh, sure. You're totally fine.")
    if sarcasm and not any(p.sarcasm for p in parts):
        for p in parts:
            p.sarcasm = sarcasm
    source = "model" if model_behaviour else "rules"
    if model_behaviour:
        b, sub = model_behaviour, model_subtype
        conf = float(probs.get(b, 1.0))
    else:
        b, sub = _rule_main(parts, text)
        conf = _RULE_CONF
    hits: list[CodeHit] = []
    why: list[str] = []
    overruled = ""

    def rule_hit(kind: str, label: str = "", match: str = "") -> None:
        if not any(h.kind == kind for h in hits):
            hits.append(CodeHit(kind, label, match))

    blockers = [p for p in parts if p.blocked]
    free_statements = [p for p in parts if not p.blocked and not p.question]
    real_qs = [p for p in parts if p.question and not (p.advice or p.persuade)]

    # ---- a turn that only asks, in open form ("What's it like keeping that from him?"), is a question
    # whatever the model read: in AnnoMI-dev 247 of 258 such helper turns are coded question
    if (b in ("reflection", "other") and parts and all(p.question for p in parts) and real_qs
            and open_form(real_qs[-1].text) and not any(_says_back(p.text) for p in parts)):
        overruled, b, sub, conf, source = b, "question", "open", _CUE_CONF, "rules"
        why.append("only asks, in open form: a question")

    # ---- a turn that only asks yes or no, its verb first ("Did you tell the house manager?", "Is she your roommate?"),
    # is a closed question whatever the model read: in AnnoMI-dev 66 of 73 such helper turns are coded question
    # (2 reflection); a reflection stem dressed as a question stays a reflection (issue 25's seventh batch)
    if (b in ("reflection", "other") and parts and all(p.question or R.is_backchannel(p.text) for p in parts) and real_qs
            and all(asks_yes_no(p.text) for p in real_qs) and not any(_says_back(p.text) for p in parts)):
        overruled, b, sub, conf, source = b, "question", "closed", _CUE_CONF, "rules"
        why.append("only asks yes or no: a closed question")

    # ---- a reflection said with a rising voice ("You want them to see a mom who's present now?") is a
    # reflection (MITI), not a question: a reflection stem in statement form, no other question, and the
    # model called it open (a form it cannot have) or was unsure; a sure closed call ("I hear you're sure
    # you don't want advice?": checking) stands
    unsure_call = sub == "open" or (sub == "closed" and conf < CLASSIFIER_SURE)
    if (b == "question" and unsure_call and len(real_qs) == 1 and real_qs[0] is parts[-1] and not blockers
            and statement_form(real_qs[0].text) and _says_back(real_qs[0].text)):
        overruled, b, sub, conf, source = b, "reflection", "", _CUE_CONF, "rules"
        why.append("says back with a rising voice: a reflection")

    # ---- the model's question on a turn that asks nothing in its words (no '?', no question opening) and
    # says something back about the client ("And now you keep wondering what would have happened if you'd
    # checked."): a statement, so a reflection (MITI: a question needs a question's form or a rising voice,
    # which the transcriber writes as '?')
    if (b == "question" and parts and not any(p.question for p in parts) and not blockers
            and any(p.stem or (_ABOUT_CLIENT.search(p.text) and len(R.words(p.text)) >= 4) for p in parts)):
        overruled, b, sub, conf, source = b, "reflection", "", _CUE_CONF, "rules"
        why.append("asks nothing in its words and says back: a reflection")

    # ---- the model's advice where the only directive in the words describes the client's lot ("A day you'd never
    # want to miss, and a clinic you have to walk into every single morning"): the words decide, it says back
    # (issue 25's fourth blind batch)
    if (b == "input" and sub == "advice" and not any(p.advice or p.persuade or p.permission for p in parts)
            and any(p.described for p in parts) and all(_of_client(p.text) for p in parts if not p.question)):
        overruled, b, sub, conf, source = b, "reflection", "", _CUE_CONF, "rules"
        why.append("its only directive describes, it does not direct: a reflection, not advice")

    # ---- the model's advice where the words give no fix and call the client's feeling natural ("Walking in cold
    # at 58, after years of being the regular at the post. Of course, that's uncomfortable."): the words decide, a
    # validation, not advice (issue 25's sixth batch; a reflection's stem is not enough: "and you want a relapse
    # prevention plan written before the first cut" directs)
    # likewise the model's information where every statement validates or speaks of the client ("Anyone coming down
    # off something they've taken that long would be shaky and rattled, prescription or not"): no fact is given
    if (b == "input" and not any(p.advice or p.persuade or p.permission for p in parts)
            and any(p.validation and not p.blocked and not p.question for p in parts)
            and (sub == "advice" or all(p.validation or _of_client(p.text) for p in parts if not p.question))):
        why.append("no fix in the words, and it validates: not advice" if sub == "advice"
                   else "it validates and gives no fact: not information")
        overruled, b, sub, conf, source = b, "other", "", _CUE_CONF, "rules"

    # ---- the model's advice with no suggestion in the words, on a short turn that affirms ("You've already
    # thought through where your days could go, and that's a real plan of your own"): an affirmation, not
    # advice (a long turn that informs and says "I appreciate you..." on the way stays input); the model's
    # information likewise when every clause affirms or speaks of the client ("You earned that certificate
    # while you were rebuilding everything else too"): no fact is given
    if (b == "input" and not any(p.advice or p.persuade for p in parts) and _affirms(text)
            and len(parts) <= 2 and len(R.words(text)) <= 25
            and (sub == "advice" or all(_affirms(p.text) or _ABOUT_CLIENT.search(p.text) for p in parts))):
        overruled, b, sub, conf, source = b, "other", "", _CUE_CONF, "rules"
        why.append("affirms, with no suggestion in the words: not advice" if sub == "advice"
                   else "affirms, and gives no fact: not information")

    # ---- a short acknowledgement that only asks the client to go on ("Okay, yeah, I'm following you", "Alright,
    # I'm with you so far", "Wow, okay. Keep going"): a continuer, no reflection of what was said
    if b == "reflection" and (_CONTINUER.match(R.normalise(text)) or R.is_backchannel(text)):
        overruled, b, sub, conf, source = b, "other", "", _CUE_CONF, "rules"
        why.append("only asks the client to go on: not a reflection")

    # ---- the model's advice on a turn whose only request is to share something ("You want a straight answer.
    # Would it help if I shared what I know about how MOUD works?"): asking permission is no advice yet
    if (b == "input" and sub == "advice" and not any(p.advice or p.persuade for p in parts)
            and any(p.permission for p in parts)):
        overruled, b, sub, conf, source = b, "question" if real_qs else "other", "", _CUE_CONF, "rules"
        why.append("asks permission, advises nothing yet: not advice")

    # ---- the model's information on a sarcastic turn with no suggestion in it: a confrontation (MITI
    # codes it Confront), not information given
    if (b == "input" and sub != "advice" and any(p.sarcasm for p in parts)
            and not any(p.advice or p.persuade for p in parts)):
        overruled, b, sub, conf, source = b, "other", "", _CUE_CONF, "rules"
        why.append("sarcasm: not information")

    # ---- reflection: the model's (or the rules') call survives only on a clause that is no fix
    reflection_clause: _Clause | None = None
    said_back = [p for p in free_statements
                 if (p.stem or _YOU_FEELING.match(p.text)) and R.feelings_named(p.text) or R.match_feeling_stem(p.text)]
    informing = b == "input" and sub != "advice" and not any(p.advice or p.persuade for p in parts)
    summary = [p for p in free_statements if R.match_summary(p.text)]
    if (b == "other" or informing) and (said_back or summary) and not blockers:
        # a statement that says a feeling back ("it hurt that he saw it that way"), even beside a
        # word of one's own ("I remember that feeling"), is a reflection (MITI); so is a summary announced
        # ("Let me pull it together. Thirty days, a job, seven months clean": issue 25's fifth blind batch)
        overruled, b, sub, conf, source = b, "reflection", "", _CUE_CONF, "rules"
        why.append("says a feeling back: a reflection" if said_back else "sums up: a reflection")
    if b == "reflection" and parts:
        cands = free_statements or ([] if blockers else parts)
        if blockers:  # beside a fix or reassurance, only a clause that says back in form is a reflection
            cands = [p for p in cands if p.stem]
        if cands:
            reflection_clause = cands[0]
        else:
            why.append(f"not a reflection: {_blocker_name(blockers[0])}")
            overruled = b
    elif b == "question" and real_qs and len(parts) > 1:
        # reflect (or validate) then ask: the statement before the question is a reflection too
        # a statement about the client before the question says back what they said ("So it was the one
        # thing just for you. What changed after the crash?"): stem or not, unless it advises or informs
        # (tried and dropped: any statement that speaks of the client anywhere or takes up two of their words
        # before an open question; nested on AnnoMI it lifted "reflect and validate" of low-quality sessions
        # from +4.4 to +14.3 points over the experts', docs/evaluation/history.md)
        # or, stem or not, when the classifier reads those statements alone as a reflection ("Relief and shame,
        # hitting you in the same moment. How are you carrying both of those now?"): issue 25's held-out scripts
        lead = [p for p in parts[: parts.index(real_qs[-1])]
                if (p.stem or (_ABOUT_CLIENT.search(p.text) and not blockers and len(R.words(p.text)) >= 4)
                    or (lead_behaviour == "reflection" and not blockers and _of_client(p.text)
                        and open_form(real_qs[-1].text)))
                and not p.blocked and not p.question]
        if lead:
            reflection_clause = lead[0]
            why.append("a reflection followed by a question: both")
    if reflection_clause is not None:
        rsub = sub if b == "reflection" and sub in ("simple", "complex") else (
            "complex" if R.is_complex_reflection(reflection_clause.text, previous_client) else "simple")
        hits.append(CodeHit("reflection", rsub, reflection_clause.stem or "",
                            conf if b == "reflection" else _CUE_CONF, source if b == "reflection" else "rules"))

    # ---- questions: advice or persuasion phrased as a question is input, not a question
    question_label = ""
    suggestion_qs = [p for p in parts if p.question and (p.advice or p.persuade)]
    after_reflection = b == "reflection" and reflection_clause is not None and reflection_clause not in real_qs
    if real_qs and (b == "question" or after_reflection):
        q = real_qs[-1]
        # the question's plain form (what/how/why: open; a verb first or one fact asked: closed) decides over the model
        if open_form(q.text):
            question_label = "open"
        elif closed_form(q.text):
            question_label = "closed"
        else:
            question_label = sub if b == "question" and sub in ("open", "closed") else R.question_type(q.text)
        hits.append(CodeHit("question", question_label, "?", conf if b == "question" else _CUE_CONF,
                            source if b == "question" else "rules"))
        if after_reflection:
            why.append("a reflection followed by a question: both")
    elif b == "question" and suggestion_qs:
        overruled = b
        why.append("the question is a suggestion: advice, not a question" if suggestion_qs[0].advice
                   else "the question persuades: not a question")
    elif b == "question":  # the model's question without a question form ("and you drink how much")
        question_label = sub if sub in ("open", "closed") else R.question_type(text)
        hits.append(CodeHit("question", question_label, "?", conf, source))

    # ---- advice (unasked or after permission)
    adv = next((p for p in parts if p.advice), None)
    model_advice = b == "input" and sub == "advice"
    if adv is not None or model_advice or (overruled and any(p.persuade for p in parts)):
        asked = permission_before or _permission_first(parts, adv)
        label = "after_permission" if asked else "unasked"
        if adv is not None:
            hits.append(CodeHit("advice", label, adv.advice or ""))
        else:
            hits.append(CodeHit("advice", label, "", conf if model_advice else _CUE_CONF,
                                source if model_advice else "rules"))

    # ---- the other rule cues, each on the clauses where it is true
    for p in parts:
        if p.validation and not p.blocked:
            rule_hit("validation", "", p.validation)
    for kind, fn in (("affirmation", _affirms), ("permission", R.match_permission)):
        m = fn(text)
        if m and not (kind == "affirmation" and any(p.sarcasm for p in parts)):
            # praise said sarcastically ("That's 41 days down the drain. Congratulations.") is no affirmation
            rule_hit(kind, "", m)
    for p in parts:
        if p.minimising:
            rule_hit("minimising", "", p.minimising)
    for kind, fn in (("seeking_collaboration", R.match_collaboration), ("emphasising_autonomy", R.match_autonomy)):
        m = fn(text)
        if m:
            rule_hit(kind, "", m)
    for p in parts:
        if p.persuade:
            rule_hit("persuade", "", p.persuade)
    for p in parts:
        if p.sarcasm:
            rule_hit("confront", "sarcasm", p.sarcasm)
        elif p.confront:
            rule_hit("confront", "", p.confront)

    # ---- the main behaviour agrees with the codes
    if overruled and b == "reflection" and reflection_clause is not None:
        sub = next(h.label for h in hits if h.kind == "reflection")
        why.append(f"the model said {overruled}; decided reflection")
    elif overruled:
        if any(h.kind == "question" for h in hits):
            b, sub = "question", question_label
        elif any(p.advice or p.persuade for p in parts) or model_advice:
            b, sub = "input", "advice"
        else:
            b, sub = "other", ""
        why.append(f"the model said {overruled}; decided {b}")
    elif b == "input" and not sub:
        sub = "advice" if any(h.kind == "advice" for h in hits) else "information"
    elif b == "reflection":
        sub = next(h.label for h in hits if h.kind == "reflection")
    elif b == "question":
        sub = question_label
    if not why:
        why.append(f"{source}: {b}" + (f" ({sub})" if sub else ""))
    return TurnDecision(b, sub, tuple(hits), "; ".join(why), overruled, probs)


def _permission_first(parts: list[_Clause], adv: _Clause | None) -> bool:
    """Permission asked in an earlier clause than the advice (or anywhere, when the advice is the model's)."""
    for p in parts:
        if p is adv:
            return bool(p.permission and p.text.find(p.permission) < p.text.find(p.advice or ""))
        if p.permission:
            return True
    return False


def _blocker_name(p: _Clause) -> str:
    if p.sarcasm:
        return f"sarcasm ('{p.sarcasm}')"
    if p.confront:
        return f"confronting ('{p.confront}')"
    if p.minimising:
        return f"minimising ('{p.minimising}')"
    if p.advice:
        return f"advice ('{p.advice}')"
    return f"persuading ('{p.persuade}')"
