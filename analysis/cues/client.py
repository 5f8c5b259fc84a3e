"""Rules for the client's utterances: feeling disclosure, change talk and sustain talk."""

from __future__ import annotations

import re

from analysis.cues.text import (
    FEELING_WORDS,
    _first,
    _rx,
    feelings_named,
    is_question,
    normalise,
    sentences,
)

__all__ = ["match_feeling_disclosure", "match_emotion_shown", "match_client_feeling", "feeling_sense",
           "match_change_talk", "match_sustain_talk"]

_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i've|i'd|me|my|myself|im)\b", re.IGNORECASE)
_CHANGE = _rx(
    r"i (?:want|need|have|would like|wanna|'d like|d like|should|could|can|will|'ll|am going|'m going|plan|intend|hope|wish) "
    r"(?:to )?(?:stop|quit|cut|change|reduce|give up|get (?:help|sober|clean|better)|try|start|do something|be (?:healthier|sober|clean|better))",
    r"i(?:'m| am) (?:ready|willing|going to|gonna|trying|determined|committed)", r"i(?:'ve| have) (?:cut|stopped|quit|been cutting|reduced|started)",
    r"i (?:don't|do not) want to (?:keep|end up|lose|be like|go back|die|hurt)", r"(?:it|that) would be (?:better|good|nice) (?:if|to)",
    r"i (?:really )?(?:need|want) (?:a )?change", r"(?:worried|concerned|scared) (?:about|that) (?:my|i)", r"i could (?:try|probably|maybe)",
    r"i(?:'ll| will) (?:try|do it|give it a)", r"(?:is|are) (?:a )?problem for me", r"too much",
)
_SUSTAIN = _rx(
    r"i (?:don't|do not|doesn't) (?:really )?(?:want|need|think i (?:need|can|have)) to (?:stop|quit|change|cut|give)",
    r"i (?:can't|cannot|couldn't) (?:stop|quit|change|do (?:it|that)|give)", r"i(?:'m| am) not (?:going to|gonna|ready|willing)",
    r"(?:it's|it is|that's) not (?:a|really a|that big a|that much of a) (?:problem|issue|big deal)", r"(?:it's|it is) not that (?:bad|much)",
    r"i (?:like|enjoy|love) (?:drinking|smoking|it|the)", r"(?:it|that) helps me (?:relax|sleep|cope|calm)", r"i(?:'m| am) fine",
    r"i don't see (?:the|a|what|why)", r"everybody does", r"everyone does", r"no (?:problem|big deal)", r"i don't have a problem",
    r"(?:i|it) (?:don't|doesn't) (?:really )?(?:bother|affect|hurt)", r"i(?:'ve| have) tried (?:before|that|everything)", r"i won't",
)
_DISCLOSE_STEM = re.compile(
    r"\b(?:i (?:feel|felt|am feeling|'m feeling|get|got|was|am|'m|have been|'ve been)|i'm|im|i've been|makes me|made me|"
    r"i(?:'m| am) (?:so|really|very|just|kind of|pretty))\b(?:\s+\w+){0,4}?\s+(" + "|".join(sorted(FEELING_WORDS)) + r")\b",
    re.IGNORECASE,
)


def match_feeling_disclosure(text: str) -> str | None:
    """A first-person statement of a feeling ("I feel so alone", "it makes me angry")."""
    m = _DISCLOSE_STEM.search(normalise(text))
    if m:
        return m.group(0)
    if _FIRST_PERSON.search(text) and feelings_named(text) and not is_question(text):
        return feelings_named(text)[0]
    return None


# A feeling shown rather than named: crying, falling apart, or a judgement of oneself said as a feeling
# ("I feel like I failed him"). Kept apart from match_feeling_disclosure, which feeds the classifier.
_EMOTION_SHOWN = _rx(
    r"i (?:was|am|'m|have been|'ve been|keep|kept|started|couldn't stop|can't stop) (?:sobbing|crying|in tears|"
    r"shaking|falling apart|breaking down)",
    r"i (?:cried|sobbed|broke down|fell apart|burst into tears)",
    r"i (?:just |still |often |sometimes |always )?(?:lie|lay|sit|sat) (?:there |in bed |in (?:the|my) car )?and (?:cry|sob)",
    r"i (?:just |still |often |sometimes |always )?(?:cry|sob)(?: myself to sleep| all night| every night| at night)",
    # "some nights I just cry", "sometimes I just sit and cry" (issue 25's seventh batch); not "I cry at movies"
    r"(?:some nights|some days|some mornings|sometimes|most nights|at night|every night),? i (?:just |still )?(?:cry|sob)\b",
    r"i just (?:cry|sob)\b(?! (?:at|over) (?:movies|films|commercials|weddings))",
    r"i (?:just |still |really )?feel like (?:i(?:'m| am) )?(?:a failure|a bad (?:mom|mother|dad|father|parent|person)|"
    r"i (?:failed|let (?:\w+ )?down|ruined|blew it|screwed (?:it )?up|messed (?:it )?up))",
    r"i(?:'m| am) (?:just |really |so |kind of |honestly )?dreading", r"i (?:dread|dreaded)\b",
    r"i (?:just |still |really )?feel like (?:i(?:'m| am) )?being (?:punished|judged|watched|tested|blamed|ignored|"
    r"written off|left out|pushed out)",
)


def match_emotion_shown(text: str) -> str | None:
    """A first-person feeling shown, not named: "I was sobbing in the parking lot", "I feel like I failed him",
    "I'm dreading it", "I feel like I'm being punished"."""
    # sentence by sentence: "Some nights I just lie there and cry. It wears on you, you know?" shows one; "Did you
    # cry when he left?" asks
    for sentence in sentences(text.strip()):
        if sentence and not is_question(sentence):
            m = _first(_EMOTION_SHOWN, sentence)
            if m:
                return m
    return None


# Feeling words used in another sense: "I'm down to thirty hours a week", "low on cash", "I lost my job"
# (an event, not a named feeling: "I feel lost" stays one). Kept apart from the classifier's features.
_OTHER_SENSE = re.compile(
    r"\bdown(?= (?:to|from|by|at|on|in|here|there|the|a|an|\d+)\b)|\blow(?= on\b)|"
    r"\blost(?= (?:(?:my|the|a|an|his|her|our|their) )?(?:job|jobs|licen[cs]e|keys?|phone|wallet|car|house|apartment|"
    r"lease|place|shifts?|hours|money|track|weight|count|touch)\b)",
    re.IGNORECASE,
)


def feeling_sense(text: str) -> str:
    """``text`` without the feeling words it uses in another sense (see ``_OTHER_SENSE``)."""
    return _OTHER_SENSE.sub("", normalise(text))


def match_client_feeling(text: str) -> str | None:
    """The client names or shows a feeling: a disclosure whose feeling word is meant as one, or a feeling shown."""
    return match_feeling_disclosure(feeling_sense(text)) or match_emotion_shown(text)


def match_change_talk(text: str) -> str | None:
    """Client change talk (desire, ability, reasons, need, commitment to change)."""
    return None if match_sustain_talk(text) else _first(_CHANGE, text)


def match_sustain_talk(text: str) -> str | None:
    """Client sustain talk (arguments for the status quo)."""
    return _first(_SUSTAIN, text)
