"""The bot's own sentences in English and Danish, overridable per deployment.

Only these sentences and the staff's articles are ever sent by the bot: it never makes up
text. A deployment overrides a phrase with ``[helpline.phrases.LANG]`` in its TOML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

_DEFAULTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": {
            "greeting": "Hi! I'm the Helpline bot. Ask me a question, or ask for a person.",
            "fallback": (
                "I'm not sure I have a good answer to that, and I don't want to guess. "
                "You can rephrase your question, or talk to a person."
            ),
            # The fallback of a turn that hands over at once: no "rephrase" before the handoff.
            "fallback_handoff": (
                "I'm not sure I have a good answer to that, and I don't want to guess, "
                "so I'm passing you to a person."
            ),
            "clarify": "Did you mean one of these?",
            "offer_person": "If this did not help, you can talk to a person.",
            "button_person": "Talk to a person",
            "handoff_ack": (
                "I've passed your conversation to {team}. You are number {position} in the "
                "queue. A person will reply here; you don't need to repeat anything."
            ),
            "handoff_ack_first": (
                "I've passed your conversation to {team}. You are next in the queue. "
                "A person will reply here; you don't need to repeat anything."
            ),
            # Open, but nobody from the team online (the wait has no number).
            "handoff_ack_nobody": (
                "I've passed your conversation to {team}. Nobody from the team is available "
                "at the moment. You are number {position} in the queue and keep your place; "
                "you will get a message here when someone picks up your conversation, and "
                "you don't need to repeat anything."
            ),
            "handoff_ack_nobody_first": (
                "I've passed your conversation to {team}. Nobody from the team is available "
                "at the moment. You are next in the queue and keep your place; you will get a "
                "message here when someone picks up your conversation, and you don't need to "
                "repeat anything."
            ),
            # Out of office hours ({when}: "we are back at 08:00 tomorrow").
            "handoff_ack_closed": (
                "I've passed your conversation to {team}. Our team is away right now: {when}. "
                "You are number {position} in the queue and keep your place; you will get a "
                "message here when someone picks up your conversation, and you don't need to "
                "repeat anything."
            ),
            "handoff_ack_closed_first": (
                "I've passed your conversation to {team}. Our team is away right now: {when}. "
                "You are next in the queue and keep your place; you will get a message here "
                "when someone picks up your conversation, and you don't need to repeat anything."
            ),
            # Out of office hours with no opening ahead.
            "handoff_ack_closed_unknown": (
                "I've passed your conversation to {team}. Our team is away right now. You are "
                "number {position} in the queue and keep your place; you will get a message "
                "here when someone picks up your conversation, and you don't need to repeat "
                "anything."
            ),
            "handoff_ack_closed_unknown_first": (
                "I've passed your conversation to {team}. Our team is away right now. You are "
                "next in the queue and keep your place; you will get a message here when "
                "someone picks up your conversation, and you don't need to repeat anything."
            ),
            # Ends a queued customer's reply while the desk is closed ({at}: "at 08:00
            # tomorrow").
            "queued_closed": "Our team is away now and back {at}.",
            "queued_closed_unknown": "Our team is away right now.",
            # Ends a queued customer's reply while the desk is open but nobody from the team
            # is online (the acknowledgement said so too).
            "queued_nobody": (
                "Nobody from the team is available at the moment; you will get a message here "
                "when someone picks up your conversation."
            ),
            # The same, after the short "still in the queue" (still_queued_again).
            "queued_nobody_again": "Nobody from the team is available yet.",
            "still_queued": (
                "You are still in the queue (number {position}); a person will reply here. "
                "Anything you write now is added to your conversation."
            ),
            # The queue's replies while nobody can reply now (closed, or nobody online): no
            # "a person will reply here"; the reply ends with why (queued_closed,
            # queued_nobody).
            "still_queued_away": (
                "You are still in the queue (number {position}). Anything you write now is "
                "added to your conversation."
            ),
            # With an agent who has not joined or written yet (assigned at once).
            "with_agent": (
                "Someone from {team} has your conversation and will reply here. "
                "They can see everything you write."
            ),
            # Said instead of still_queued once that was said since the customer was queued.
            "still_queued_again": (
                "Added to your conversation. You are still number {position} in the queue."
            ),
            "agent_joined": "{agent} from {team} has joined the conversation.",
            "agent_joined_no_team": "{agent} has joined the conversation.",
            "resolved": "{agent} has marked this conversation as resolved. Write again any time.",
            "released": "{agent} had to step away; you are back in the queue for the next person.",
            "handed_back": "You are back with the bot. Ask me anything, or ask for a person.",
            # Handed back with a question nobody answered yet: the bot's answer to it follows.
            "handed_back_question": "You are back with the bot. About your last question:",
            # Desk: feedback, automatic assignment, transfers, satisfaction.
            "button_helpful_yes": "Yes, that helped",
            "button_helpful_no": "No, it did not help",
            "helpful_thanks": "Glad it helped! Ask me anything else any time.",
            # "Did this help?" pressed while queued ({position}: the place in the queue).
            "helpful_thanks_queued": (
                "Glad it helped! You keep your place in the queue, and a person will reply here."
            ),
            "helpful_thanks_queued_away": "Glad it helped! You keep your place in the queue.",
            "not_helpful_queued": (
                "Sorry that did not help. A person will reply here; you are number {position} "
                "in the queue."
            ),
            "not_helpful_queued_away": (
                "Sorry that did not help. You are number {position} in the queue."
            ),
            "handoff_ack_assigned": (
                "I've passed your conversation to {team}. A person will reply here; you "
                "don't need to repeat anything."
            ),
            "transferred_team": "{agent} passed your conversation on to {team}; "
            "the next person there will reply here.",
            # The colleague is named when they open the conversation or reply, as any agent.
            "transferred_agent": (
                "{agent} passed your conversation to a colleague, who will reply here."
            ),
            "rating_request": "How did we do? Please rate this conversation from 1 (poor) to 5 "
            "(great).",
            "rating_thanks": "Thank you for your rating!",
            "team_default": "our support team",
            "too_long": "That message is too long for me. Please send a shorter one.",
            "flood": (
                "You are writing faster than I can read. Your messages are saved; please wait "
                "a moment, then send your question again."
            ),
            "empty": "I didn't catch anything there. Could you type your question?",
            "error": "Something went wrong on our side. Your message is saved; please try again.",
            # Desk time: office hours, wait updates, inactivity.
            "expected_wait": "Expected wait: {eta}.",
            "wait_update": "Update: you are number {position} in the queue. Expected wait: {eta}.",
            "wait_update_first": "Update: you are next in the queue. Expected wait: {eta}.",
            "agent_inactive": (
                "{agent} could not reply in time; you are back in the queue for the next person."
            ),
            # The same, for an agent the customer was never told of (assigned, not joined).
            "agent_inactive_unannounced": (
                "The person who had your conversation could not reply in time; you are back "
                "in the queue for the next person."
            ),
            "opens_now": "now",
            # Channels (Telegram): commands and what the bot cannot read.
            "help": (
                "Ask me a question in your own words and I'll look for an answer. "
                "/human asks for a person, /end ends the conversation."
            ),
            "ended": "This conversation has ended. Write again any time.",
            # Small talk (bot.dialogue.small_talk): short replies that are never a fallback.
            "small_talk_greeting": "Hi! What can I help you with? Ask in your own words.",
            "small_talk_thanks": "You're welcome! Ask me anything else any time.",
            "small_talk_goodbye": "Goodbye! Write again any time.",
            "small_talk_bot": (
                "I'm the Helpline bot: I answer from articles our staff have written, and I "
                "can pass you to a person at any time."
            ),
            "small_talk_ping": "Yes, I'm here. What can I help you with?",
            "small_talk_acknowledge": "Okay. Ask me anything else any time.",
            # Thanks or "ok" before anything was asked: no "anything else".
            "small_talk_thanks_first": "You're welcome! What can I help you with?",
            "small_talk_acknowledge_first": "Okay. What can I help you with?",
            "small_talk_help": (
                "Ask me a question in your own words, like \"my VPN won't connect\", and I'll "
                'answer from our help articles. To reach a person, write "talk to a person" '
                "or use the button below; /end ends the conversation."
            ),
            # Small talk while queued ({position}: the place in the queue): a person will
            # reply, and none is offered.
            "small_talk_greeting_queued": (
                "Hi! You are number {position} in the queue, and a person will reply here."
            ),
            "small_talk_thanks_queued": "You're welcome! A person will reply here.",
            "small_talk_goodbye_queued": (
                "Goodbye! You keep your place in the queue, and the reply will be waiting here "
                "when you come back."
            ),
            "small_talk_bot_queued": (
                "I'm the Helpline bot. You are in the queue for a person, who will reply here; "
                "meanwhile I can answer questions from our help articles."
            ),
            "small_talk_ping_queued": (
                "Yes, I'm here. You are number {position} in the queue, and a person will "
                "reply here."
            ),
            "small_talk_acknowledge_queued": "Okay. A person will reply here as soon as they can.",
            "small_talk_help_queued": (
                "You are in the queue, and a person will reply here; anything you write is "
                "added to your conversation. Meanwhile you can ask me a question in your own "
                "words."
            ),
            # The same while nobody can reply now; the reply ends with why.
            "small_talk_greeting_queued_away": "Hi! You are number {position} in the queue.",
            "small_talk_thanks_queued_away": "You're welcome!",
            "small_talk_goodbye_queued_away": (
                "Goodbye! You keep your place in the queue, and the reply will be waiting here "
                "when you come back."
            ),
            "small_talk_bot_queued_away": (
                "I'm the Helpline bot. You are in the queue for a person; meanwhile I can answer "
                "questions from our help articles."
            ),
            "small_talk_ping_queued_away": (
                "The Helpline bot is here. You are number {position} in the queue."
            ),
            "small_talk_acknowledge_queued_away": "Okay.",
            "small_talk_help_queued_away": (
                "You are in the queue; anything you write is added to your conversation. "
                "Meanwhile you can ask me a question in your own words."
            ),
            "attachment_kept": (
                "Thanks, your file is saved with this conversation. I cannot read files myself: "
                "describe the problem in words, or ask for a person, who will see the file."
            ),
            "attachment_queued": (
                "Thanks, your file is saved with this conversation; the person who takes it "
                "will see it."
            ),
            "unsupported": (
                "Sorry, I can only read text. Please type your question; a photo's caption "
                "counts as text."
            ),
            # Replies by e-mail (bot.desk.reply_mail): asked once, when the wait is long.
            "email_ask": (
                "You don't have to wait here. If you like, leave your e-mail address: if you "
                "have left when someone replies, we will e-mail you the reply with a link back "
                "to this chat. This is optional."
            ),
            "email_field": "Your e-mail address",
            "email_save": "Save address",
            "email_skip": "No, thanks",
            "email_invalid": "That does not look like an e-mail address. Please check it.",
            "email_saved": (
                "Thanks. If you have left when someone replies, we will e-mail the reply to "
                "{address}."
            ),
            "email_skipped": "Okay, no e-mail. The reply will be here in this chat.",
            "email_subject": "A reply to your question",
            "email_reply_heading": "{agent} wrote ({time}):",
            "email_body": (
                "Hello,\n\n"
                "you have a reply in your conversation with our support:\n\n"
                "{replies}\n\n"
                "To answer, go on in the chat: {link}\n"
                "The link works until {expires}. Answers to this e-mail are not read.\n"
            ),
        },
        "da": {
            "greeting": (
                "Hej! Jeg er Helpline-botten. Stil mig et spørgsmål, eller bed om at tale med "
                "en medarbejder."
            ),
            "fallback": (
                "Jeg er ikke sikker på, at jeg har et godt svar på det, og jeg vil ikke gætte. "
                "Du kan formulere spørgsmålet anderledes eller tale med en medarbejder."
            ),
            "fallback_handoff": (
                "Jeg er ikke sikker på, at jeg har et godt svar på det, og jeg vil ikke gætte, "
                "så jeg giver dig videre til en medarbejder."
            ),
            "clarify": "Mente du en af disse?",
            "offer_person": "Hvis det ikke hjalp, kan du tale med en medarbejder.",
            "button_person": "Tal med en medarbejder",
            "handoff_ack": (
                "Jeg har sendt din samtale videre til {team}. Du er nummer {position} i køen. "
                "En medarbejder svarer her; du behøver ikke at gentage noget."
            ),
            "handoff_ack_first": (
                "Jeg har sendt din samtale videre til {team}. Du er den næste i køen. "
                "En medarbejder svarer her; du behøver ikke at gentage noget."
            ),
            "handoff_ack_nobody": (
                "Jeg har sendt din samtale videre til {team}. Der er ingen ledige medarbejdere "
                "lige nu. Du er nummer {position} i køen og beholder din plads; du får en besked "
                "her, når en medarbejder tager din samtale, og du behøver ikke at gentage noget."
            ),
            "handoff_ack_nobody_first": (
                "Jeg har sendt din samtale videre til {team}. Der er ingen ledige medarbejdere "
                "lige nu. Du er den næste i køen og beholder din plads; du får en besked her, når "
                "en medarbejder tager din samtale, og du behøver ikke at gentage noget."
            ),
            "handoff_ack_closed": (
                "Jeg har sendt din samtale videre til {team}. Vores team er ikke til stede "
                "lige nu: {when}. Du er nummer {position} i køen og beholder din plads; du får "
                "en besked her, når en medarbejder tager din samtale, og du behøver ikke at "
                "gentage noget."
            ),
            "handoff_ack_closed_first": (
                "Jeg har sendt din samtale videre til {team}. Vores team er ikke til stede "
                "lige nu: {when}. Du er den næste i køen og beholder din plads; du får en "
                "besked her, når en medarbejder tager din samtale, og du behøver ikke at "
                "gentage noget."
            ),
            "handoff_ack_closed_unknown": (
                "Jeg har sendt din samtale videre til {team}. Vores team er ikke til stede "
                "lige nu. Du er nummer {position} i køen og beholder din plads; du får en "
                "besked her, når en medarbejder tager din samtale, og du behøver ikke at "
                "gentage noget."
            ),
            "handoff_ack_closed_unknown_first": (
                "Jeg har sendt din samtale videre til {team}. Vores team er ikke til stede "
                "lige nu. Du er den næste i køen og beholder din plads; du får en besked her, "
                "når en medarbejder tager din samtale, og du behøver ikke at gentage noget."
            ),
            "queued_closed": "Vores team er ikke til stede nu og er tilbage {at}.",
            "queued_closed_unknown": "Vores team er ikke til stede lige nu.",
            "queued_nobody": (
                "Der er ingen ledige medarbejdere lige nu; du får en besked her, når en "
                "medarbejder tager din samtale."
            ),
            "queued_nobody_again": "Der er stadig ingen ledige medarbejdere.",
            "still_queued": (
                "Du er stadig i køen (nummer {position}); en medarbejder svarer her. "
                "Det du skriver nu, bliver føjet til din samtale."
            ),
            "still_queued_away": (
                "Du er stadig i køen (nummer {position}). Det du skriver nu, bliver føjet til "
                "din samtale."
            ),
            "with_agent": (
                "En medarbejder fra {team} har din samtale og svarer dig her. "
                "Medarbejderen kan se alt, hvad du skriver."
            ),
            "still_queued_again": (
                "Det er føjet til din samtale. Du er stadig nummer {position} i køen."
            ),
            "agent_joined": "{agent} fra {team} er kommet med i samtalen.",
            "agent_joined_no_team": "{agent} er kommet med i samtalen.",
            "resolved": "{agent} har markeret samtalen som løst. Skriv igen når som helst.",
            "released": "{agent} måtte gå fra; du er tilbage i køen til den næste medarbejder.",
            "handed_back": (
                "Du er tilbage hos botten. Spørg mig om noget, eller bed om en medarbejder."
            ),
            "handed_back_question": "Du er tilbage hos botten. Om dit seneste spørgsmål:",
            "button_helpful_yes": "Ja, det hjalp",
            "button_helpful_no": "Nej, det hjalp ikke",
            "helpful_thanks": "Godt at det hjalp! Spørg bare igen når som helst.",
            "helpful_thanks_queued": (
                "Godt at det hjalp! Du beholder din plads i køen, og en medarbejder svarer her."
            ),
            "helpful_thanks_queued_away": "Godt at det hjalp! Du beholder din plads i køen.",
            "not_helpful_queued": (
                "Ærgerligt at det ikke hjalp. En medarbejder svarer her; du er nummer {position} "
                "i køen."
            ),
            "not_helpful_queued_away": (
                "Ærgerligt at det ikke hjalp. Du er nummer {position} i køen."
            ),
            "handoff_ack_assigned": (
                "Jeg har sendt din samtale videre til {team}. En medarbejder svarer her; du "
                "behøver ikke at gentage noget."
            ),
            "transferred_team": "{agent} har sendt din samtale videre til {team}; "
            "den næste medarbejder der svarer her.",
            "transferred_agent": (
                "{agent} har sendt din samtale videre til en kollega, som svarer dig her."
            ),
            "rating_request": "Hvordan klarede vi os? Giv samtalen en karakter fra 1 (dårlig) "
            "til 5 (rigtig god).",
            "rating_thanks": "Tak for din vurdering!",
            "team_default": "vores supportteam",
            "too_long": "Den besked er for lang til mig. Send venligst en kortere.",
            "flood": (
                "Du skriver hurtigere, end jeg kan nå at læse. Dine beskeder er gemt; vent "
                "venligst et øjeblik, og send så dit spørgsmål igen."
            ),
            "empty": "Jeg fangede ikke noget. Kan du skrive dit spørgsmål?",
            "error": "Noget gik galt hos os. Din besked er gemt; prøv venligst igen.",
            "expected_wait": "Forventet ventetid: {eta}.",
            "wait_update": "Nyt: du er nummer {position} i køen. Forventet ventetid: {eta}.",
            "wait_update_first": "Nyt: du er den næste i køen. Forventet ventetid: {eta}.",
            "agent_inactive": (
                "{agent} kunne ikke svare i tide; du er tilbage i køen til den næste medarbejder."
            ),
            "agent_inactive_unannounced": (
                "Medarbejderen, der havde din samtale, kunne ikke svare i tide; du er tilbage i "
                "køen til den næste medarbejder."
            ),
            "opens_now": "nu",
            "help": (
                "Stil mig et spørgsmål med dine egne ord, så leder jeg efter et svar. "
                "/human beder om en medarbejder, /end afslutter samtalen."
            ),
            "ended": "Samtalen er afsluttet. Skriv igen når som helst.",
            "small_talk_greeting": "Hej! Hvad kan jeg hjælpe med? Spørg med dine egne ord.",
            "small_talk_thanks": "Selv tak! Spørg bare igen når som helst.",
            "small_talk_goodbye": "Farvel! Skriv igen når som helst.",
            "small_talk_bot": (
                "Jeg er Helpline-botten: jeg svarer ud fra artikler, som vores medarbejdere har "
                "skrevet, og jeg kan sende dig videre til en medarbejder når som helst."
            ),
            "small_talk_ping": "Ja, jeg er her. Hvad kan jeg hjælpe med?",
            "small_talk_acknowledge": "Okay. Spørg bare igen når som helst.",
            "small_talk_thanks_first": "Selv tak! Hvad kan jeg hjælpe med?",
            "small_talk_acknowledge_first": "Okay. Hvad kan jeg hjælpe med?",
            "small_talk_help": (
                'Stil mig et spørgsmål med dine egne ord, fx "min VPN vil ikke forbinde", så '
                'svarer jeg ud fra vores hjælpeartikler. Skriv "tal med en medarbejder" eller '
                "brug knappen herunder for at få fat i en person; /end afslutter samtalen."
            ),
            "small_talk_greeting_queued": (
                "Hej! Du er nummer {position} i køen, og en medarbejder svarer her."
            ),
            "small_talk_thanks_queued": "Selv tak! En medarbejder svarer her.",
            "small_talk_goodbye_queued": (
                "Farvel! Du beholder din plads i køen, og svaret venter her, når du kommer tilbage."
            ),
            "small_talk_bot_queued": (
                "Jeg er Helpline-botten. Du er i køen til en medarbejder, som svarer her; "
                "imens kan jeg svare på spørgsmål ud fra vores hjælpeartikler."
            ),
            "small_talk_ping_queued": (
                "Ja, jeg er her. Du er nummer {position} i køen, og en medarbejder svarer her."
            ),
            "small_talk_acknowledge_queued": (
                "Okay. En medarbejder svarer her så hurtigt som muligt."
            ),
            "small_talk_help_queued": (
                "Du er i køen, og en medarbejder svarer her; det du skriver, bliver føjet til "
                "din samtale. Imens kan du stille mig et spørgsmål med dine egne ord."
            ),
            "small_talk_greeting_queued_away": "Hej! Du er nummer {position} i køen.",
            "small_talk_thanks_queued_away": "Selv tak!",
            "small_talk_goodbye_queued_away": (
                "Farvel! Du beholder din plads i køen, og svaret venter her, når du kommer tilbage."
            ),
            "small_talk_bot_queued_away": (
                "Jeg er Helpline-botten. Du er i køen til en medarbejder; imens kan jeg svare på "
                "spørgsmål ud fra vores hjælpeartikler."
            ),
            "small_talk_ping_queued_away": (
                "Helpline-botten er her. Du er nummer {position} i køen."
            ),
            "small_talk_acknowledge_queued_away": "Okay.",
            "small_talk_help_queued_away": (
                "Du er i køen; det du skriver, bliver føjet til din samtale. Imens kan du stille "
                "mig et spørgsmål med dine egne ord."
            ),
            "attachment_kept": (
                "Tak, din fil er gemt i samtalen. Jeg kan ikke selv læse filer: beskriv "
                "problemet med ord, eller bed om en medarbejder, som kan se filen."
            ),
            "attachment_queued": (
                "Tak, din fil er gemt i samtalen; den medarbejder, der tager den, kan se den."
            ),
            "unsupported": (
                "Beklager, jeg kan kun læse tekst. Skriv venligst dit spørgsmål; teksten "
                "under et billede tæller som tekst."
            ),
            "email_ask": (
                "Du behøver ikke at vente her. Hvis du vil, kan du skrive din e-mailadresse: "
                "er du gået, når en medarbejder svarer, sender vi svaret til dig på e-mail "
                "med et link tilbage til denne chat. Det er frivilligt."
            ),
            "email_field": "Din e-mailadresse",
            "email_save": "Gem adressen",
            "email_skip": "Nej tak",
            "email_invalid": "Det ligner ikke en e-mailadresse. Tjek den venligst.",
            "email_saved": (
                "Tak. Er du gået, når en medarbejder svarer, sender vi svaret til {address}."
            ),
            "email_skipped": "Okay, ingen e-mail. Svaret kommer her i chatten.",
            "email_subject": "Svar på dit spørgsmål",
            "email_reply_heading": "{agent} skrev ({time}):",
            "email_body": (
                "Hej\n\n"
                "Du har fået svar i din samtale med vores support:\n\n"
                "{replies}\n\n"
                "Svar ved at fortsætte i chatten: {link}\n"
                "Linket virker indtil {expires}. Svar på denne e-mail bliver ikke læst.\n"
            ),
        },
    }
)


#: Every sentence a deployment may override, in any language.
PHRASE_KEYS: frozenset[str] = frozenset(key for table in _DEFAULTS.values() for key in table)


class Phrases:
    """Looks up the bot's sentences by key and language, with deployment overrides."""

    def __init__(
        self,
        *,
        overrides: Mapping[str, Mapping[str, str]] | None = None,
        default_language: str = "en",
    ) -> None:
        self._overrides = {lang: dict(table) for lang, table in (overrides or {}).items()}
        self._default_language = default_language if default_language in _DEFAULTS else "en"

    @property
    def default_language(self) -> str:
        """The language of a customer whose language is not known yet."""
        return self._default_language

    @property
    def languages(self) -> frozenset[str]:
        """Languages the bot can speak its own sentences in."""
        return frozenset(_DEFAULTS) | frozenset(self._overrides)

    def get(self, key: str, language: str | None, **values: object) -> str:
        """The sentence ``key`` in ``language`` (falling back to the default language).

        Raises:
            KeyError: no language knows ``key``.
        """
        for lang in (language, self._default_language, "en"):
            if lang is None:
                continue
            override = self._overrides.get(lang, {})
            if key in override:
                return override[key].format(**values)
            table = _DEFAULTS.get(lang, {})
            if key in table:
                return table[key].format(**values)
        raise KeyError(key)
