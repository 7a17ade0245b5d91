"""Everyday questions that belong to no support article: the search's picture of general text.

A message that resembles one of these about as much as it resembles the best article is
probably not about the knowledge at all ("is the canteen open", "hvornår er der frokost").
The index compares every message with them (:mod:`knowledge.index`), in the message's
language. The lists are deliberately broad (buildings, people matters, food, travel,
weather, leisure, chit-chat) and hold nothing about computers, phones, accounts, e-mail or
networks, so that they never compete with an IT or customer-service article on its own
ground. They were written for this purpose; no evaluation data is in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.strip().splitlines() if line.strip())


_ENGLISH = _lines(
    """
    is the canteen open today
    what is on the menu for lunch
    can I bring a guest to lunch
    the coffee tastes awful
    there is no milk in the kitchen
    the dishwasher is full
    who empties the bins
    where do I recycle bottles
    the water cooler is empty
    can we get more fruit in the office
    the room is too hot
    it is freezing in here
    can someone open a window
    the ventilation is noisy
    a light bulb is out in the corridor
    the door is locked
    the lift is out of order
    the stairs are slippery
    the toilet is out of paper
    the sink is leaking
    where is the nearest first aid kit
    where can I leave my bicycle
    is there free parking nearby
    my car is blocked in the car park
    where do I get a visitor badge
    what time does reception open
    can I get a key for the storage room
    I need a bigger desk
    my chair is uncomfortable
    can I move to another desk
    who is in charge of the building
    when are the office opening hours
    how many holidays do I get per year
    I want to take a day off next week
    how do I register my holiday
    my child is sick and I have to stay home
    I am ill today
    how do I apply for leave
    when is my next performance review
    can I get a pay rise
    when will my salary be paid
    there is a mistake on my pay slip
    how much tax do I pay
    how does the pension scheme work
    how do I claim my expenses
    where do I send my receipts
    can I get reimbursed for my train ticket
    how do I book a business trip
    which hotel do we use for travel
    I need a taxi to the airport
    when is the next staff meeting
    when is the summer party
    who is organising the birthday cake
    can I bring my dog to work
    is there a gym near the office
    where can I buy lunch nearby
    what is the weather like today
    will it rain this afternoon
    what day is it today
    what time is it
    how far is the train station
    when does the next bus leave
    recommend a restaurant for dinner
    what should I cook tonight
    how do I make pancakes
    what is a good film to watch
    who won the match last night
    what is the score of the game
    tell me something funny
    do you like music
    what is your favourite colour
    how old are you
    where do you live
    what is the meaning of life
    how tall is the eiffel tower
    what is the population of denmark
    translate hello into spanish
    how many kilometres is a mile
    what is two plus two
    remind me to call my mother
    set an alarm for seven
    play some music
    I am bored
    I am tired today
    I had a bad day
    I need a holiday
    my neighbour is too loud
    where can I buy flowers
    how do I get to the city centre
    can I smoke outside the building
    who is my contact in human resources
    how do I update my home address with the company
    I want to change my working hours
    can I work part time
    how do I resign from my job
    I want to complain about a colleague
    the cleaning was not done today
    the plants in the office need water
    can we order pizza for the team
    my parcel was delivered to the office
    where is the post room
    """
)

_DANISH = _lines(
    """
    har kantinen åbent i dag
    hvad er der på menuen til frokost
    må jeg tage en gæst med til frokost
    kaffen smager forfærdeligt
    der er ingen mælk i køkkenet
    opvaskemaskinen er fuld
    hvem tømmer skraldespandene
    hvor afleverer jeg flasker til genbrug
    vandkøleren er tom
    kan vi få mere frugt på kontoret
    der er for varmt i lokalet
    det er iskoldt herinde
    kan nogen åbne et vindue
    ventilationen larmer
    en pære er gået ud på gangen
    døren er låst
    elevatoren er ude af drift
    trappen er glat
    der er ikke mere papir på toilettet
    vasken er utæt
    hvor er den nærmeste førstehjælpskasse
    hvor kan jeg stille min cykel
    er der gratis parkering i nærheden
    min bil er spærret inde på parkeringspladsen
    hvor får jeg et gæstekort
    hvornår åbner receptionen
    kan jeg få en nøgle til depotrummet
    jeg har brug for et større skrivebord
    min stol er ubehagelig
    kan jeg flytte til en anden plads
    hvem har ansvaret for bygningen
    hvad er kontorets åbningstider
    hvor mange feriedage får jeg om året
    jeg vil gerne holde fri i næste uge
    hvordan registrerer jeg min ferie
    mit barn er sygt og jeg skal blive hjemme
    jeg er syg i dag
    hvordan søger jeg orlov
    hvornår er min næste medarbejdersamtale
    kan jeg få lønforhøjelse
    hvornår bliver lønnen udbetalt
    der er en fejl på min lønseddel
    hvor meget skat betaler jeg
    hvordan fungerer pensionsordningen
    hvordan får jeg mine udlæg refunderet
    hvor sender jeg mine kvitteringer hen
    kan jeg få min togbillet refunderet
    hvordan booker jeg en forretningsrejse
    hvilket hotel bruger vi når vi rejser
    jeg skal bruge en taxa til lufthavnen
    hvornår er det næste personalemøde
    hvornår er sommerfesten
    hvem sørger for fødselsdagskagen
    må jeg have min hund med på arbejde
    er der et fitnesscenter i nærheden af kontoret
    hvor kan jeg købe frokost i nærheden
    hvordan er vejret i dag
    kommer det til at regne i eftermiddag
    hvilken dag er det i dag
    hvad er klokken
    hvor langt er der til stationen
    hvornår kører den næste bus
    kan du anbefale en restaurant til aftensmad
    hvad skal jeg lave til aftensmad
    hvordan laver man pandekager
    hvilken film skal jeg se
    hvem vandt kampen i aftes
    hvad står det i kampen
    sig noget sjovt
    kan du lide musik
    hvad er din yndlingsfarve
    hvor gammel er du
    hvor bor du
    hvad er meningen med livet
    hvor høj er eiffeltårnet
    hvor mange indbyggere har danmark
    hvad hedder hej på spansk
    hvor mange kilometer er en mil
    hvad er to plus to
    mind mig om at ringe til min mor
    sæt en alarm til klokken syv
    spil noget musik
    jeg keder mig
    jeg er træt i dag
    jeg har haft en dårlig dag
    jeg trænger til ferie
    min nabo larmer for meget
    hvor kan jeg købe blomster
    hvordan kommer jeg ind til byen
    må man ryge uden for bygningen
    hvem er min kontaktperson i personaleafdelingen
    hvordan opdaterer jeg min adresse hos firmaet
    jeg vil gerne ændre min arbejdstid
    kan jeg gå ned i tid
    hvordan siger jeg mit job op
    jeg vil klage over en kollega
    der er ikke gjort rent i dag
    planterne på kontoret skal have vand
    kan vi bestille pizza til teamet
    min pakke er leveret på kontoret
    hvor er postrummet
    """
)

#: The background questions by language code.
BACKGROUND: Mapping[str, tuple[str, ...]] = MappingProxyType({"en": _ENGLISH, "da": _DANISH})
