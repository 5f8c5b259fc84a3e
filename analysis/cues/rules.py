"""Lexicons and regular expressions for the rule-based text cues.

Each ``match_*`` function takes one utterance (plain text) and returns the
matched phrase (a short string to quote) or ``None``. They are deliberately
simple, readable and English-only; ``analysis/cues/detect.py`` combines them with the
trained behaviour classifier.
"""

from __future__ import annotations

import re

from analysis.cues.client import (
    match_change_talk,
    match_feeling_disclosure,
    match_sustain_talk,
)
from analysis.cues.jargon import jargon_uses
from analysis.cues.text import (
    FEELING_WORDS,
    _first,
    _rx,
    content_words,
    english_share,
    feelings_named,
    is_backchannel,
    is_question,
    sentences,
    normalise,
    question_type,
    words,
)

__all__ = [
    "FEELING_WORDS",
    "normalise",
    "words",
    "content_words",
    "is_question",
    "question_type",
    "match_reflection",
    "match_reflection_clause",
    "match_feeling_stem",
    "is_complex_reflection",
    "match_validation",
    "match_affirmation",
    "match_advice",
    "match_advice_question",
    "match_permission",
    "match_minimising",
    "match_jargon",
    "count_fillers",
    "match_collaboration",
    "match_autonomy",
    "match_persuade",
    "match_confront",
    "match_sarcasm",
    "match_topic_shift",
    "feelings_named",
    "match_feeling_disclosure",
    "match_summary",
    "match_change_talk",
    "match_sustain_talk",
    "is_backchannel",
    "english_share",
]


# -------------------------------------------------------------- reflections
# a summary announced (MITI: a summary is a reflection): "let me pull it together", "to sum up"
_SUMMARY_STEM = (
    r"let me (?:pull (?:it|this|that|all that|that all|it all) (?:all )?together|sum (?:it|this|that) up|"
    r"see if i(?:'ve| have) got (?:it|this|that)|make sure i(?:'ve| have) got (?:it|this|that))|(?:so )?to sum (?:it |this )?up"
)
_REFLECT = re.compile(
    r"^(?:(?:so|and|okay|ok|well|yeah|mm-hmm|right|now)[, ]+)*(?:"
    r"so (?:you|it's|it is|that|your|for you)|it sounds like|sounds like|it sounds as|sounds as if|"
    r"it seems (?:like|that|as)|seems like|it feels like|"
    r"you(?:'re| are) (?:feeling|saying|wondering|worried|thinking|not sure|really|pretty|kind of|still)|"
    r"you feel|you felt|you(?:'ve| have) been|you want|you don't want|you(?:'d| would) like|you really|"
    r"what i(?:'m| am) hearing|what you(?:'re| are) saying|i(?:'m| am) hearing|i hear (?:that )?you|if i(?:'m| am) hearing you|"
    + _SUMMARY_STEM + r"|"
    r"part of you|on (?:the )?one hand|it's like|you(?:'re| are) (?:kind of )?(?:torn|stuck)|"
    r"you(?:'re| are) in a|you(?:'re| are) someone who|for you,|you see|you think|you know that you|you care|"
    r"you(?:'re| are) (?:so |really |pretty |a bit |quite )?(?:afraid|scared|worried|concerned|angry|frustrated|sad|upset|"
    r"ashamed|embarrassed|hurt|lonely|tired|exhausted|overwhelmed|stressed|anxious|nervous|proud|hopeful|relieved|unsure))"
)
_COMPLEX = re.compile(
    r"\b(?:part of you|on (?:the )?one hand|on the other hand|at the same time|"
    r"it's like|as if|almost like|sounds like you|you(?:'re| are) wondering|deep down|"
    r"what (?:really )?matters|important to you|you value|you care|you(?:'re| are) the kind of|"
    r"even though|and yet|but also|because)\b"
)


def match_reflection(text: str) -> str | None:
    """A reflection stem ("so you", "it sounds like", "you feel") in a statement (not a question)."""
    t = normalise(text)
    if not t or is_question(text):
        return None
    for sent in sentences(t):
        m = _REFLECT.match(sent)
        if m:
            return m.group(0)
    return None


# a feeling said back about the event, without "you" ("it hurt that he saw it that way")
_FEELING_STEM = re.compile(
    r"^(?:(?:so|and|okay|ok|well|yeah|oh)[, ]+)*(?:it|that|this)(?:'s| is| was| has been)?\s+"
    r"(?:(?:really|must|must have|would|would have|might|probably|still|kind of|sort of|so|such a|been|felt|feels)\s+)*"
    r"(?:hurt|hurts|hurtful|stung|stings|scared you|scary|frightening|shook you|crushed you|broke your heart|"
    r"painful|lonely|humiliating|embarrassing|shameful|heartbreaking|devastating|terrifying)\b"
)


_SUMMARY = re.compile(r"^(?:(?:so|and|okay|ok|well|alright|all right)[, ]+)*(?:" + _SUMMARY_STEM + r")\b")


def match_summary(clause: str) -> str | None:
    """A summary announced at the start of a clause ("Let me pull it together.", "So to sum up, ...")."""
    m = _SUMMARY.match(normalise(clause))
    return m.group(0) if m else None


def match_feeling_stem(clause: str) -> str | None:
    """A feeling said back about what happened, without "you" ("it hurt that...", "that must have been painful")."""
    m = _FEELING_STEM.match(normalise(clause))
    return m.group(0) if m else None


def match_reflection_clause(clause: str) -> str | None:
    """A reflection stem at the start of one clause (a statement), or a feeling said back ("it hurt that...")."""
    c = normalise(clause)
    if not c or is_question(c):
        return None
    m = _REFLECT.match(c) or _FEELING_STEM.match(c)
    return m.group(0) if m else None


def is_complex_reflection(text: str, previous_client: str = "") -> bool:
    """Complex when it adds meaning: a feeling the client did not name, double-sided, or a metaphor."""
    t = normalise(text)
    if _COMPLEX.search(t):
        return True
    said = set(words(previous_client))
    new_feelings = [w for w in words(t) if w in FEELING_WORDS and w not in said]
    if new_feelings:
        return True
    mine = content_words(t)
    if previous_client and mine:
        overlap = len(mine & content_words(previous_client)) / len(mine)
        return overlap < 0.3 and len(mine) >= 4
    return False


# ---------------------------------------------------------------- others
_VALIDATION = _rx(
    r"(?:that|it) makes (?:a lot of |total |complete )?sense", r"makes sense (?:that|why)",
    # "that fear makes sense", "your worry makes sense" (a one-word name for what the client feels or did)
    r"^(?:(?:so|and|yeah|well)[, ]+)?(?:that|your|this) [a-z]+ makes (?:a lot of |total |complete )?sense",
    r"(?:it's|that's|it is|that is) (?:completely |totally |really |very )?(?:understandable|normal|natural|okay to feel|ok to feel|valid)",
    r"(?:of course|no wonder) you(?:'d| would)? (?:feel|be|are|were)", r"no wonder",
    r"anyone would (?:feel|be)", r"(?:that|it) (?:sounds|must be|must have been) (?:so |really |very |incredibly )?"
    r"(?:hard|difficult|painful|tough|scary|frightening|overwhelming|exhausting|frustrating|lonely|upsetting|awful|rough|stressful)",
    r"i can (?:see|understand|imagine) (?:why|how)", r"(?:your feelings|what you feel) (?:are|is) (?:valid|real|understandable)",
    r"it's okay to (?:feel|be)", r"(?:i'm|i am) (?:so |really |very )?sorry (?:that|you|to hear|for (?:your|what))",
    r"that's (?:a lot|so much) to",
    # understanding and warmth (CRSS "validation"; EPITOME's emotional reactions and interpretations)
    r"i (?:can |totally |completely |really )?(?:understand|relate)", r"i know (?:how|what) (?:you(?:'re| are)? ?(?:feel|going|mean)|it(?:'s| is) like)",
    r"i(?:'ve| have) been (?:there|through (?:that|this|the same|something similar))", r"i (?:feel|felt) the same",
    r"(?:i'm|i am) (?:here|there) for you", r"(?:sending|big) (?:you )?(?:hugs|love)", r"my heart goes out",
    r"(?:that|this) (?:sucks|is (?:awful|terrible|horrible|heartbreaking))", r"you(?:'re| are) not alone",
)
_AFFIRM = _rx(
    r"good for you", r"well done", r"great job", r"nice work",
    r"(?:that|it) (?:took|takes) (?:a lot of |real |some |so much |great )?(?:courage|guts|strength|bravery)",
    r"you(?:'ve| have) (?:really )?(?:worked|done|come|made|managed|shown)", r"you should be proud",
    r"you(?:'ve| have) already (?:thought (?:it |this |that )?through|figured out|worked out|planned|found|built|taken)",
    r"(?:that's|it's|that is|it is) a (?:real |good |solid |great )?plan of your own",
    r"(?:i'm|i am) (?:really )?(?:impressed|proud)", r"(?:it's|that's) (?:great|wonderful|impressive|fantastic|brilliant) (?:that|how)",
    r"you(?:'re| are) (?:clearly|obviously|really) (?:a |someone )?(?:strong|determined|committed|caring|resourceful)",
    r"you(?:'re| are) (?:a )?(?:strong|resourceful|determined|brave|courageous)", r"thank you for (?:sharing|telling|being)",
    r"i appreciate (?:you|your|that you|how)", r"i admire", r"you really care", r"your (?:strength|courage|determination|commitment)",
)
_ADVICE_Q = _rx(  # suggestions phrased as questions: advice whatever the utterance's form
    r"why (?:don't|not) you", r"why not (?:try|just|go|call|talk|ask)", r"have you (?:thought about|considered|tried|looked into)",
    r"what if you", r"how about (?:you|trying|if)", r"(?:could|can|would) you (?:just )?(?:try|not)",
)
_ADVICE = _rx(
    r"you (?:just |really |really just |simply )?(?:should|shouldn't|need to|have to|must|ought to|gotta|got to)",
    r"you(?:'d| had) better",
    r"you(?:'ve| have) (?:just )?got to",
    r"just (?:try|do|stop|go|tell|call|say|ignore|relax|get|take|think|let)", r"^(?:so |well |maybe )?try (?:to|doing|not)",
    r"i (?:would )?(?:suggest|recommend|advise)", r"my advice",
    r"if i were you", r"you (?:could|might) (?:try|want to|consider|think about)", r"the best (?:thing|way) (?:is|would be|to)",
    r"(?:it|that) (?:would|might|could|will) help (?:to|if you)", r"make sure (?:you|to)", r"(?:i'd|i would) (?:go|try|just)",
    r"(?:what )?you (?:want|need) to do is", r"one thing (?:you|that) (?:could|can|might)",
    # issue 25, fourth blind batch: advice from the helper's own way ("what I'd do is skip book club", "the thing
    # that worked for me was the patch"), what the client "needs" named as a thing ("what you really need is a
    # meeting schedule", "what you want is a letter from your supervisor")
    r"what (?:i'd|i would) (?:do|try|push for|go with|suggest) is", r"(?:the thing|what) (?:that )?(?:worked|helped) (?:for |with )?me (?:was|is)",
    r"what you (?:really )?(?:want|need) is (?:a|an|the|some)\b",
)
# "you should be proud", "you need to be heard": about the client's worth or need, not a fix
_NOT_ADVICE = re.compile(r"\byou (?:really |just )?(?:should|need to|deserve to|have to|must) (?:be|feel) (?:really |so |very )?"
                         r"(?:proud|heard|listened to|understood|believed|taken seriously|respected)\b")
_ADVICE_Q_ALL = _rx(  # every suggestion phrased as a question (the decision's reading; _ADVICE_Q feeds the model)
    r"why (?:don't|not) you", r"why not (?:try|just|go|call|talk|ask|get|join|take|tell|see|write|make)",
    r"have you (?:ever )?(?:thought about|thought of|considered|tried|looked into|checked out)",
    r"what if you", r"how about (?:you|trying|if|going|calling|talking|getting|joining|asking|taking)",
    r"what about (?:trying|going|calling|talking|getting|joining|asking|taking|making|writing|doing|reaching)",
    r"(?:could|can|would) you (?:just|not|try|maybe just|maybe try)", r"(?:can't|couldn't) you (?:just )?\w+",
    r"shouldn't you", r"wouldn't it be (?:better|easier|good|a good idea|smart)",
    r"(?:would|could|might) it (?:help|be (?:worth|a good idea|better|helpful)) (?:to|if)",
    r"is there (?:any|a) reason you (?:can't|couldn't|don't|wouldn't)", r"maybe you (?:could|should|can)",
    r"(?:do|would) you want to (?:try|call|go to|join|talk to)", r"don't you think (?:you|it would)",
    # issue 25, sixth blind batch: "Would it be easier to just tell him and ask to go on days?", "Is there a clinic
    # near you that you could walk into this week?"
    r"would it (?:not )?be (?:easier|better|smarter|simpler|safer) (?:to|if you)",
    r"is there (?:a|an|any|some) [^?]{1,40}? (?:that )?you could (?:go|walk|call|try|ask|join|get|talk|see|drop|use|reach)",
    # issue 25, seventh blind batch: "why not grab one of those", "how about one of those quit apps", "how about an
    # extra meeting this week", "any reason you can't stay out till she's gone to bed"
    r"why not (?:just )?(?!me\b|you\b|now\b|both\b)[a-z]{3,}", r"how about (?:a|an|one|some|another|an extra)\b|how about \w+ing\b",
    r"wouldn't (?:a|an|the|that|it|some) [^?]{0,40}?\bhelp\b",
    r"(?:any|no) reason you (?:can't|couldn't|don't|wouldn't)\b",
)
_SARCASM = _rx(  # MITI 4.2.1: a reflection said sarcastically or with disapproval is Confront
    r"oh,? (?:great|wonderful|perfect|brilliant|lovely|fantastic|terrific|super|marvell?ous|well done)",
    r"yeah,? right", r"sure you (?:did|do|will|are|were|can)", r"nice going", r"how convenient",
    r"(?:that's|well,? that's) just (?:great|perfect|wonderful|brilliant|lovely|fantastic)",
    r"(?:real|very|really) smart", r"smart move", r"(?:what a|big) surprise", r"here we go again",
    r"of course you (?:did|were|do)\b(?! feel)", r"good luck with that", r"thanks a lot", r"genius",
    r"sure[,.]? because\b", r"down the drain[,.!]? congratulations",
    # issue 25, third blind batch: "everybody's got nothing better to do than stare at you", "guess you'll have a fun chat
    # with her", "great attitude. that'll go over well" ("yeah, because..." / "right, because..." tried: in AnnoMI it is
    # mostly sincere, "Yeah. Because you're the kind of parent that wants...")
    r"(?:got|have|has) nothing better to do than", r"(?:have|having) (?:a |such a )?fun (?:chat|talk|conversation|time)\b",
    r"(?:that'll|that will|that's gonna|that is going to) go (?:over|down) (?:well|great|real well)", r"great attitude",
    r"oh,? sure[,.!]? you(?:'re| are| did| do| will| were)",
    r"too \w+ for [^.?!]{1,40}?,? but not for\b",
    r"because (?:that|it) (?:always|ever) (?:goes|went|works|worked|ends|ended|turns out|works out) (?:so )?(?:well|great|perfectly)",
    r"throw you a (?:party|parade)",
    # issue 25, fourth blind batch: "great thinking", "clearly you've got it all figured out", "go ahead and keep
    # buying it then"
    r"great thinking", r"(?:clearly|obviously|apparently),? you(?:'ve| have)? (?:got|have) it all figured out",
    r"go ahead and keep \w+ing", r"(?:give you|want|get|deserve) a (?:medal|trophy|gold star|cookie)",
    # issue 25, eighth blind batch: "Poor baby. An empty apartment and a fridge full of pinot. The suffering.",
    # "January is famously when bartenders dry out", "real airtight system you've built there"
    r"\bpoor baby\b", r"\bthe suffering[.!]", r"\bis famously\b", r"\b(?:real|really|pretty) airtight\b",
    # issue 25, seventh blind batch: "somebody give this man a trophy", "that's some strategy you got going there"
    r"g[ai]ve (?:this|that|the) (?:man|woman|guy|girl|lady|kid) a (?:medal|trophy|gold star|cookie|prize)",
    r"(?:that's|that is) some (?:strategy|plan|idea|logic|thinking|system) you(?:'ve)? got",
    r"(?:great|wonderful|perfect|brilliant|nice|well done|good job|way to go|congratulations),? so\b[^.!?]*\b"
    r"(?:bar|pub|drink|drinking|drunk|bottle|relapsed|using again|high|slipped|blew it|back to square one)",
    # issue 25, fifth blind batch: "very wholesome", "lucky me", "a gold star for not smoking meth in a meth house,
    # I'll go order the trophy", "Danny's couch at four in the morning was the clever choice"
    r"(?:very|how|so) wholesome", r"lucky me\b", r"a gold star for", r"order (?:you )?(?:a|the|your) (?:trophy|medal|plaque)",
    r"(?:right|sure|yeah|oh)[,.]? [^.?!]*(?:was|is|'s) the (?:clever|smart|bright|genius|wise) (?:choice|move|idea|call|plan)",
)
_PERMISSION = _rx(
    r"(?:would|is) it (?:be )?(?:ok|okay|alright|all right) (?:if|with you if) i", r"(?:can|may|could) i (?:share|offer|suggest|tell you|give you|make a suggestion|ask)",
    r"would you (?:like|be interested in|want) (?:some|me to share|to hear|any) ?(?:ideas|suggestions|information|thoughts|options|tips|what)?",
    r"do you mind if i", r"(?:are you|would you be) (?:open|interested) (?:to|in) (?:hearing|some)",
    r"would it be (?:helpful|useful|okay|ok|alright|all right) (?:to give you|to share|to tell you|if i|if we|for me to)",
    r"would it help if i (?:shared?|told|gave|offered|suggested|explained|went over|talked (?:about|through))",
    r"(?:can|could|may) i (?:tell|show|walk) you", r"do you want (?:to hear|me to (?:share|tell|explain|go over))",
    r"would you want me to (?:share|tell|explain|go over)",
    r"(?:do you |would you )?want to hear (?:it|them|one|something|a (?:thought|suggestion|few|couple)|an idea|what)\b",
    # issue 25, fourth blind batch: "can I throw some stuff at you that I know?", "want me to tell you what I know?"
    r"(?:can|could|may) i (?:throw|run|bounce|pass) (?:some|a|an|something|a few|a couple|one|this|an idea)",
    r"want me to (?:share|tell you|explain|go over|run through)",
    # issue 25, fifth batch: "I have a thought about this if you want it, or we can leave it"
    r"i (?:have|'ve got|got) (?:a thought|an idea|a suggestion|some thoughts|some ideas|something)(?: about [^.?!]{1,30}?)?,? "
    r"if you(?:'d)? (?:want|like) (?:it|them|to hear (?:it|them)|one)",
)
_MINIMISE = _rx(
    r"at least(?! (?:a |some |one )?part of you)", r"(?<!you )(?<!i )(?<!they )(?<!we )don't worry", r"do not worry",
    r"(?:every ?one|every ?body) (?:slips|relapses|makes mistakes|messes up|has (?:bad days|setbacks|slips|a slip))",
    r"(?:it|this|that) happens to (?:every ?one|every ?body|the best of us|all of us)", r"these things happen",
    r"don't (?:beat yourself up|be (?:too |so )?hard on yourself)", r"(?:stop|quit) beating yourself up",
    r"(?:it's|it is|it was) (?:only|just) (?:once|one (?:drink|night|slip|time|day)|a slip)",
    r"(?:it's|it is|that's|that is) not as bad as", r"(?:could|might) have been (?:a lot |much |way )?worse", r"no harm done",
    r"(?:there's|there is) no (?:need|reason) to (?:feel|be|worry)", r"nothing to (?:be )?(?:ashamed|embarrassed|worried) (?:of|about)",
    r"you shouldn't (?:feel|be) (?:bad|guilty|ashamed|sad|upset|so)", r"try not to (?:think about|dwell|worry)",
    r"you'll get (?:over|past) it", r"(?:it's|it is) all good", r"calm down", r"(?:it's|it is|that's) not (?:that|so) bad",
    r"(?:it|things) could be worse", r"look on the bright side", r"everything happens for a reason", r"(?:it's|it is) no big deal",
    r"not a big deal", r"cheer up", r"you'll be (?:fine|ok|okay|alright)", r"(?:it|everything)(?:'ll| will) (?:be|work out) (?:fine|ok|okay|alright)",
    r"get over it", r"(?:others|other people) have it worse", r"don't be (?:sad|upset|so)", r"stop worrying", r"just relax", r"you need to relax",
    r"think positive", r"(?:it's|it is) all in your head", r"you(?:'re| are) overreacting", r"could be worse", r"it's not the end of the world",
    r"(?:is|was|'s) nothing compared to",
    r"(?:one|a|that|the) (?:slip|drink|night|mistake|glass|time|bad day) (?:really |just )?(?:doesn't|does not|won't|didn't) "
    r"(?:matter|count|change anything|undo)",
    # reassurance: telling the client the feeling is not needed rather than hearing it
    r"(?:don't|do not|no need to) stress", r"(?:it's|it is|everything's|everything is) (?:going|gonna) to be (?:fine|ok|okay|alright)",
    r"you(?:'re| are) (?:being )?(?:way |far |much |a bit )?too (?:hard|tough) on yourself", r"(?:kids|people|you'll) bounce back",
    r"tomorrow is (?:a new|another) day", r"(?:it's|that's) (?:just )?part of the process", r"(?:it's|that's) just a (?:bump|blip|hiccup)",
    r"nobody(?:'s| is) judging you", r"you(?:'ll| will) be back on track",
    # issue 25, third blind batch: the slip made small in other words ("three glasses at a wedding is hardly a
    # relapse", "thoughts are just thoughts", "a blip on the screen", "he's seen a lot worse"), the others' view
    # made small ("nobody in that room is going to think twice", "nobody's thinking about it half as much as you")
    r"(?:is|was|'s) hardly (?:a |an )?(?:relapse|slip|anything|big deal|a crime|the end|disaster|failure)",
    r"(?:thoughts|feelings|cravings|urges) are just (?:thoughts|feelings|cravings|urges)",
    r"(?:a|one) (?:slip|drink|night|weekend|mistake) is (?:just|only) (?:a|one) (?:slip|drink|night|weekend|mistake)",
    r"(?:is|was|'s) (?:just |only |really )?a (?:blip|hiccup|speed bump|bump in the road)",
    r"(?:has|have|'s|'ve) (?:seen|done|heard) (?:a lot |much |way |far |plenty )?worse",
    r"(?:nobody|no one)(?: \w+){0,4} (?:is|'s|will|'ll|would|'d) (?:going to |gonna )?(?:think twice|even notice|notice|care|remember|"
    r"keeping (?:score|count|tabs|track))\b",
    r"(?:nobody|no one)(?: \w+){0,4} (?:is|'s) thinking about it (?:half )?as much as you",
    r"not keeping (?:a )?(?:tally|score|count)", r"(?:it'll|it will|this will|that'll|everything'll) (?:all )?(?:feel|seem|look) "
    r"(?:a lot |much |way )?(?:smaller|better|easier|different) (?:by|in|soon|tomorrow|next)",
    r"(?:she's|he's|they're|she is|he is|they are) not going anywhere",
    # issue 25, fourth blind batch: "he's going to be fine", "go easy on yourself", "one little wobble and you're
    # already right back on track", "she's not going to care what you did", "that's ancient history", "come on,
    # you're not a hazard"
    r"(?:he's|she's|they're|he is|she is|they are|he'll|she'll|they'll) (?:going to |gonna )?be (?:just )?(?:fine|ok|okay|alright|all right)\b",
    r"go easy on yourself", r"cut yourself (?:some )?slack",
    r"(?:one|a|just a) (?:little|tiny|small) (?:wobble|slip|blip|hiccup|stumble|setback)",
    r"you(?:'re| are) (?:already )?(?:right )?back on track",
    r"(?:she's|he's|they're|nobody's|no one's|she is|he is|they are) not (?:going to|gonna) care",
    r"(?:that's|it's|that is|it is) ancient history", r"come on,? you(?:'re| are) not",
    # issue 25, fifth blind batch: "two hundred is pocket change next to where you were", "eight months of good days
    # don't vanish over one Tuesday", "stuck by you through a lot worse than a few scratch cards", "a month from now
    # this'll be a story you barely remember", "you're going to sail through it", "not going to notice a thing",
    # "a few rough nights are nothing next to eight years", "it'll pass quicker than you think", "your doctor's
    # handled plenty of these", "people say all kinds of things when they're upset", "it's one rough patch"
    r"(?:is|was|'s|are|were) (?:just |only )?pocket change",
    r"(?:is|was|'s|are|were) nothing (?:next to|beside|against|compared with)",
    r"(?:don't|doesn't|won't|didn't) (?:just )?(?:vanish|disappear|evaporate|go away|get erased|get wiped out|count for nothing) "
    r"(?:over|because of|for) (?:one|a|a single|a few)\b",
    r"(?:stuck|stood|stayed) (?:by|with) you through (?:a lot |much |way |far )?worse",
    r"(?:a (?:week|month|year)|(?:a few|two|three|six) (?:weeks|months|years)) from now,? (?:this|it|that|you)(?:'ll| will) "
    r"(?:be a story|barely|hardly|laugh|not even|be nothing)",
    r"a story you(?:'ll| will)? (?:barely|hardly|won't even|never) remember",
    r"(?:you're|you are|you'll|you will) (?:going to |gonna )?(?:sail|breeze|fly|coast) through",
    r"(?:not|never|won't|isn't|aren't) (?:going to |gonna )?notice a thing",
    r"(?:it'll|it will|this will|that'll|that will|they'll|they will) (?:pass|be over|fly by|blow over) (?:a lot |much |way )?"
    r"(?:quicker|faster|sooner) than you think",
    r"\b(?!you\b)\w+(?:'s|'ve| has| have) (?:handled|seen|treated) (?:plenty|loads|hundreds|thousands|tons|lots) of "
    r"(?:these|those|them|cases like)",
    r"people say all (?:kinds|sorts) of things",
    r"(?:it's|it is|that's|that is|it was|that was) (?:just |only )?one (?:rough|bad|tough|hard) (?:patch|day|night|week|spell)",
    # issue 25, sixth blind batch: "she'll be laughing about it with you by Christmas, you'll see", "that's nothing,
    # really", "put it out of your head for tonight", "there's really nothing there to feel bad about", "one text
    # wasn't going to save him"
    r"(?:she'll|he'll|they'll|you'll|we'll) (?:all )?be laughing about (?:it|this|that)", r"\byou'll see[.!]?$",
    r"(?:that's|it's|that is|it is) nothing,? (?:really|honestly)", r"put it (?:out of|from) your (?:head|mind)",
    r"nothing (?:there |here )?to feel (?:bad|guilty|ashamed|sorry) (?:about|for)",
    r"(?:wasn't|was not|weren't|wouldn't have been) (?:going to|gonna) (?:save|change|stop|fix) (?:him|her|them|it|anything)",
    # issue 25, seventh blind batch
    r"nothing to lose (?:any )?sleep over",
    # issue 25, eighth blind batch: "supervised is just a formality", "kids that little won't remember any of the hard
    # years"
    r"(?:is|'s|was) (?:just |only )?a formality", r"won't (?:even )?remember (?:any of )?(?:the|this|that|it)\b",
)
_FILLER = re.compile(r"\b(?:um+|uh+|er+m?|ah+)\b|\byou know\b(?!\s+(?:what|how|that|why|if))|\bi mean\b|\blike,", re.IGNORECASE)
_COLLAB = _rx(
    r"what do you think", r"how does that sound", r"let's", r"let us", r"together", r"we could", r"we can",
    r"where would you like to (?:start|begin|go)", r"what would you like to", r"is that (?:ok|okay|alright) with you",
    r"what would (?:work|be helpful) for you", r"your ideas",
)
_AUTONOMY = _rx(
    r"(?:it's|it is) (?:really |completely |totally |entirely |all )?(?:up to you|your (?:choice|decision|call|life))", r"you(?:'re| are) the (?:expert|one who|best judge)",
    r"you decide", r"whatever you decide", r"only you can", r"you know (?:yourself|your situation) (?:best|better)",
    r"your (?:choice|decision)", r"in your own (?:way|time)", r"you(?:'re| are) in charge", r"no one can make you",
)
_PERSUADE = _rx(
    r"you (?:need to|have to|must|really should|ought to)", r"the (?:truth|fact|reality) is", r"research (?:shows|says)",
    r"studies show", r"(?:it's|it is) (?:really )?important (?:that you|to)", r"if you don't(?! mind)", r"you can't keep",
    r"don't you think you", r"you'll (?:end up|regret|lose)",
)
_CONFRONT = _rx(
    r"you(?:'re| are) in denial", r"you(?:'re| are) not listening", r"(?:you're|you are) making excuses", r"that's not true",
    r"you(?:'re| are) wrong", r"be honest", r"admit (?:it|that)", r"the problem is you", r"you always", r"you never",
    r"what did you expect", r"that's (?:your own|on you)", r"whose fault", r"you(?:'re| are) (?:just )?(?:lazy|weak|kidding yourself)",
)
_TOPIC_SHIFT = _rx(
    r"anyway", r"(?:let's|let us) (?:move on|talk about something|change|get back)", r"moving on", r"on (?:a|another) (?:different|other)? ?note",
    r"changing the subject", r"by the way", r"(?:but|so) (?:back to|getting back to)", r"speaking of", r"different topic", r"next question",
    r"(?:let's|let us) (?:talk about|focus on|think about) (?:something )?(?:more |a bit more )?(?:positive|happier|lighter|else|the good)",
    r"enough about (?:that|this)",
)


def match_validation(text: str) -> str | None:
    """Validation of feelings ("that makes sense", "no wonder you feel...") in a statement."""
    return None if is_question(text) else _first(_VALIDATION, text)


def match_affirmation(text: str) -> str | None:
    """An affirmation of the client's strengths or efforts."""
    return _first(_AFFIRM, text)


def match_advice(text: str, behaviour: str = "") -> str | None:
    """Advice or fixing ("you should", "just try", "have you thought about").

    Suggestions phrased as questions always count; directive statements ("you need to") do not
    when ``behaviour`` says the utterance is a reflection ("you feel you have to work late").
    """
    hit = _first(_ADVICE_Q, text)
    if hit:
        return hit
    if behaviour == "reflection" or _NOT_ADVICE.search(normalise(text)):
        return None
    return _first(_ADVICE, text)


def match_advice_question(text: str) -> str | None:
    """A suggestion phrased as a question ("Have you tried...?", "Why don't you...?", "Could you just...?")."""
    return _first(_ADVICE_Q_ALL, text)


def match_sarcasm(text: str) -> str | None:
    """Sarcasm ("Oh great, so...", "yeah right", "nice going"): Confront, never a reflection."""
    return _first(_SARCASM, text)


def match_permission(text: str) -> str | None:
    """Asking permission before giving information or advice."""
    return _first(_PERMISSION, text)


def match_minimising(text: str) -> str | None:
    """Minimising ("at least", "don't worry", "calm down")."""
    return _first(_MINIMISE, text)


def match_jargon(text: str) -> list[str]:
    """All technical or programme terms in the utterance, as the jargon table names them ("IOP")."""
    return [u.term for u in jargon_uses(text)]


def count_fillers(text: str) -> list[str]:
    """Fillers ("um", "uh", "you know", "I mean")."""
    return [m.group(0) for m in _FILLER.finditer(normalise(text))]


def match_collaboration(text: str) -> str | None:
    """MITI seeking collaboration."""
    return _first(_COLLAB, text)


def match_autonomy(text: str) -> str | None:
    """MITI emphasising autonomy."""
    return _first(_AUTONOMY, text)


def match_persuade(text: str) -> str | None:
    """MITI persuade (arguing for change without permission)."""
    return _first(_PERSUADE, text)


def match_confront(text: str) -> str | None:
    """MITI confront (blaming, arguing, disagreeing)."""
    return _first(_CONFRONT, text)


def match_topic_shift(text: str) -> str | None:
    """An explicit change of subject ("anyway", "moving on")."""
    return _first(_TOPIC_SHIFT, text)
