#!/usr/bin/env python3
"""Generate the bundled Firebreak demo crisis (synthetic, written by the project).

Writes examples/demo/velora-crisis.jsonl (Mention JSONL v1, sorted by created_at)
and examples/demo/velora-crisis.labels.json (scenario labels).

Deterministic: fixed seed, standard library only. Run from anywhere:
    python3 scripts/gen_demo.py
"""

import json
import math
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20260302
START = datetime(2026, 3, 2, 0, 0, 0, tzinfo=timezone.utc)
HOURS = 72                      # three days of traffic
ONSET_H = 48 + 9 + 4 / 60 + 37 / 3600   # day 3, 09:04:37 UTC
MULT_H = ONSET_H + 3 + 6 / 60 + 41 / 3600  # journalist quote ~3h after onset
CHANNEL = "@velora"
LANGS = ["it", "es", "pl", "de", "en"]

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "examples" / "demo"

rng = random.Random(SEED)


# ---------------------------------------------------------------- helpers

def pick(xs):
    return rng.choice(xs)


def maybe(p):
    return rng.random() < p


def cap(s):
    if s and s[0] in "¿¡":
        return s[0] + cap(s[1:])
    return s[:1].upper() + s[1:] if s else s


def ts(hours):
    t = START + timedelta(seconds=int(round(hours * 3600)))
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def poisson_times(rate, t0, t1, rmax):
    """Arrival times (hours) of a non-homogeneous Poisson process, by thinning."""
    out, t = [], t0
    while True:
        t += rng.expovariate(rmax)
        if t >= t1:
            return out
        if rng.random() * rmax < rate(t):
            out.append(t)


def mention_tag():
    return pick(["@velora", "@velora", "@velora", "@Velora"])


def place_mention(text, p_start=0.6):
    """Put @velora at the start or the end of a sentence that lacks it."""
    tag = mention_tag()
    if maybe(p_start):
        return f"{tag} {text}"
    return f"{text} {tag}"


# ---------------------------------------------------------------- authors

FIRST = {
    "it": ["giulia", "marco", "francesca", "luca", "chiara", "davide", "sara", "matteo",
           "elena", "paolo", "federica", "simone", "alessia", "andrea", "martina", "stefano",
           "valentina", "roberto", "ilaria", "gianni"],
    "es": ["lucia", "javier", "carmen", "pablo", "marta", "diego", "elena", "sergio", "laura",
           "alvaro", "nuria", "raul", "ines", "jorge", "paula", "ruben", "irene", "hugo"],
    "pl": ["kasia", "tomek", "agnieszka", "piotr", "magda", "pawel", "ola", "michal", "ewa",
           "krzysztof", "ania", "marcin", "zosia", "bartek", "monika", "kuba"],
    "de": ["jana", "lukas", "sabine", "felix", "katrin", "jonas", "anna", "tobias", "lena",
           "stefan", "miriam", "florian", "nina", "markus", "julia", "moritz"],
    "en": ["emma", "jack", "olivia", "harry", "sophie", "tom", "chloe", "sam", "grace", "ben",
           "amy", "dan", "lucy", "james", "megan", "ollie", "kate", "ryan"],
}
LAST = {
    "it": ["rossi", "bianchi", "esposito", "ricci", "marino", "greco", "bruno", "gallo",
           "conti", "deluca", "costa", "fontana", "moretti", "barbieri", "lombardi"],
    "es": ["garcia", "lopez", "martin", "sanchez", "romero", "navarro", "torres", "ruiz",
           "moreno", "ortega", "vidal", "castro", "serrano"],
    "pl": ["nowak", "kowalska", "wisniewski", "wojcik", "kaminska", "lewandowski", "zielinska",
           "szymanski", "wozniak", "dabrowska", "krol", "mazur"],
    "de": ["mueller", "schmidt", "schneider", "fischer", "weber", "wagner", "becker", "hoffmann",
           "koch", "richter", "klein", "wolf", "neumann"],
    "en": ["smith", "jones", "taylor", "brown", "wilson", "evans", "walker", "wright", "hughes",
           "green", "hall", "clarke", "turner", "baker"],
}
WORDS = ["coffee", "tea", "kitchen", "home", "daily", "cafe", "mornings", "brew", "notes",
         "bits", "life", "cooks", "travels", "codes", "art"]

used_handles = set()
used_uids = set()


def make_handle(lang, platform):
    while True:
        f, l = pick(FIRST[lang]), pick(LAST[lang])
        style = rng.randrange(6)
        if style == 0:
            h = f"{f}{l}"
        elif style == 1:
            h = f"{f}.{l}"
        elif style == 2:
            h = f"{f}_{l[:1]}{rng.randrange(10, 99)}"
        elif style == 3:
            h = f"{f}{rng.randrange(70, 100)}"
        elif style == 4:
            h = f"{f}_{pick(WORDS)}"
        else:
            h = f"{l}{f[:1]}"
        if platform == "bluesky":
            h = f"{h}.bsky.social"
        if h not in used_handles:
            used_handles.add(h)
            return "@" + h


def heavy_followers():
    f = int(rng.lognormvariate(4.6, 1.55))
    return min(f, 250_000)


def new_author(lang, platform, followers=None, verified=None, handle=None):
    while True:
        uid = rng.randrange(10000, 99999)
        if uid not in used_uids:
            used_uids.add(uid)
            break
    if followers is None:
        followers = heavy_followers()
    if verified is None:
        verified = (followers > 20_000 and maybe(0.35)) or maybe(0.004)
    prefix = "m" if platform == "mastodon" else "b"
    return {
        "id": f"{prefix}:u{uid}",
        "handle": handle or make_handle(lang, platform),
        "followers": followers,
        "verified": verified,
        "_lang": lang,
        "_platform": platform,
    }


# Author pools per (lang, platform); the weights make a few authors post repeatedly.
LANG_AUTHORS = {"it": 330, "es": 230, "pl": 200, "de": 230, "en": 330}
POOLS = {}
for _lang in LANGS:
    for _plat in ("mastodon", "bluesky"):
        n = int(LANG_AUTHORS[_lang] * (0.55 if _plat == "mastodon" else 0.45))
        authors = [new_author(_lang, _plat) for _ in range(n)]
        weights = [1.0 / (i + 10) ** 0.8 for i in range(n)]
        POOLS[(_lang, _plat)] = (authors, weights)


def any_author(lang, platform=None):
    if platform is None:
        platform = "mastodon" if maybe(0.55) else "bluesky"
    authors, weights = POOLS[(lang, platform)]
    return rng.choices(authors, weights)[0]


BRAND = {"id": "velora", "handle": "@velora", "followers": 48_213, "verified": True}

# ---------------------------------------------------------------- ordinary traffic texts

PRODUCTS = {
    "it": ["il bollitore Aria", "l'Aria", "la macchina Brio", "la Velora Brio", "la Velora Duo", "la macchina da caffè Duo"],
    "es": ["el hervidor Aria", "el Velora Aria", "la cafetera Brio", "la Velora Brio", "la Velora Duo", "la cafetera Duo"],
    "pl": ["czajnik Aria", "Velora Aria", "ekspres Brio", "Velora Brio", "Velora Duo", "ekspres Duo"],
    "de": ["Aria", "Velora Aria", "Brio", "Velora Brio", "Velora Duo", "Duo"],
    "en": ["Aria kettle", "Velora Aria", "Brio machine", "Velora Brio", "Velora Duo", "Duo coffee maker"],
}
CITIES = {
    "it": ["Milano", "Torino", "Bologna", "Napoli", "Bari", "Verona", "Firenze", "Palermo"],
    "es": ["Sevilla", "Valencia", "Bilbao", "Zaragoza", "Málaga", "Madrid", "Vigo", "Murcia"],
    "pl": ["Kraków", "Gdańsk", "Poznań", "Wrocław", "Łódź", "Lublin", "Szczecin", "Warszawa"],
    "de": ["Köln", "Leipzig", "Hamburg", "Graz", "Bremen", "Freiburg", "Zürich", "Dresden"],
    "en": ["Leeds", "Dublin", "Bristol", "Glasgow", "Cork", "Manchester", "Cardiff", "Brighton"],
}
EMO_POS = ["", "", "", " ☕", " 😍", " 🙌", " 👌", " ✨", " 💚"]
EMO_NEG = ["", "", "", " 😕", " 🙄", " 😤", " 😒"]
EMO_Q = ["", "", "", " 🙏", " 🤔"]

BASE = {
    "it": {
        "ship": [
            "ho ordinato {p} {n} giorni fa, quando arriva a {c}?",
            "spedite anche a {c}? Vorrei ordinare {p}",
            "il mio ordine è fermo da {n} giorni, potete controllare?",
            "tempi di consegna per {p} a {c}? Sul sito non è chiaro",
        ],
        "descale": [
            "ogni quanto si decalcifica {p}? Qui a {c} l'acqua è durissima",
            "va bene l'acido citrico per decalcificare {p} o serve il vostro prodotto?",
            "la spia della decalcificazione resta accesa anche dopo il ciclo, cosa sbaglio?",
        ],
        "warranty": [
            "la garanzia per {p} è di 2 anni anche se comprato su Amazon?",
            "serve lo scontrino per la garanzia? L'ho perso...",
            "come si attiva l'estensione di garanzia per {p}?",
        ],
        "praise": [
            "adoro {p}, il caffè del mattino è un'altra cosa{e}",
            "consegna di oggi: {p}. Design bellissimo e silenziosissimo{e}",
            "dopo {n} mesi con {p} sono ancora innamorata{e}",
            "regalato {p} a mia madre, entusiasta{e}",
            "assistenza super veloce, grazie mille{e}",
        ],
        "mild": [
            "il coperchio del bollitore Aria è un po' duro da aprire{e}",
            "l'app non si collega con {p}, ho già provato a riavviare{e}",
            "consegna in ritardo di {n} giorni, un po' deluso{e}",
            "il caffè della Brio mi sembra meno caldo del solito{e}",
            "prezzi aumentati di nuovo? {P} costava meno il mese scorso{e}",
        ],
        "chat": [
            "meglio {p} o {p2}? Sono indecisa",
            "qualcuno ha provato {p}? Ci sto facendo un pensierino per la cucina nuova",
            "visto lo stand Velora in fiera a {c}, bel design",
            "oggi {p} è in offerta, ne vale la pena?",
        ],
    },
    "es": {
        "ship": [
            "pedí {p} hace {n} días, ¿cuándo llega a {c}?",
            "¿enviáis a {c}? Quiero pedir {p}",
            "mi pedido lleva {n} días parado, ¿lo podéis mirar?",
            "¿plazo de entrega para {p} a {c}? En la web no lo pone claro",
        ],
        "descale": [
            "¿cada cuánto hay que descalcificar {p}? En {c} el agua es muy dura",
            "¿sirve el vinagre para descalcificar {p} o mejor vuestro producto?",
            "la luz de descalcificación no se apaga nunca, ¿qué hago mal?",
        ],
        "warranty": [
            "¿la garantía para {p} es de 2 años si lo compré en Amazon?",
            "¿necesito el tique para la garantía? Lo perdí...",
            "¿cómo activo la garantía ampliada para {p}?",
        ],
        "praise": [
            "me encanta {p}, el café de la mañana es otra cosa{e}",
            "me llegó {p} hoy, precioso y súper silencioso{e}",
            "{n} meses con {p} y sigo encantada{e}",
            "le regalé {p} a mi madre y está feliz{e}",
            "atención al cliente rapidísima, gracias{e}",
        ],
        "mild": [
            "la tapa del hervidor Aria cuesta un poco de abrir{e}",
            "la app no se conecta con {p}, ya lo he reiniciado{e}",
            "el pedido llegó con {n} días de retraso, un poco decepcionado{e}",
            "el café de la Brio me sale menos caliente que antes{e}",
            "¿otra subida de precio? {P} costaba menos el mes pasado{e}",
        ],
        "chat": [
            "¿{p} o {p2}? No me decido",
            "¿alguien tiene {p}? Estoy pensando en comprarlo para la cocina nueva",
            "vi el stand de Velora en la feria de {c}, qué diseño",
            "hoy {p} está de oferta, ¿merece la pena?",
        ],
    },
    "pl": {
        "ship": [
            "zamówiłam {p} {n} dni temu, kiedy dotrze?",
            "wysyłacie do Polski? Chcę zamówić {p}",
            "moje zamówienie stoi od {n} dni, możecie sprawdzić?",
            "ile się czeka na {p}? Na stronie nic nie ma",
        ],
        "descale": [
            "jak często odkamieniać {p}? Woda u nas bardzo twarda",
            "czy {p} mogę odkamienić kwaskiem cytrynowym?",
            "lampka odkamieniania ciągle się świeci, co robię źle?",
        ],
        "warranty": [
            "czy gwarancja na {p} to 2 lata, jeśli kupiłem w markecie?",
            "potrzebuję paragonu do gwarancji? Zgubiłem...",
            "jak aktywować przedłużoną gwarancję na {p}?",
        ],
        "praise": [
            "{p} to był świetny zakup, poranna kawa smakuje lepiej{e}",
            "{p} dotarł dziś, piękny i bardzo cichy{e}",
            "{p} u mnie od {n} miesięcy i dalej jestem zachwycona{e}",
            "kupiłam mamie {p}, jest zachwycona{e}",
            "błyskawiczna obsługa klienta, dziękuję{e}",
        ],
        "mild": [
            "pokrywka w czajniku Aria trochę ciężko się otwiera{e}",
            "aplikacja nie chce się połączyć z ekspresem, restart nie pomógł{e}",
            "dostawa spóźniona o {n} dni, trochę słabo{e}",
            "kawa z ekspresu Brio wydaje mi się mniej gorąca niż kiedyś{e}",
            "znowu podwyżka? {P} w zeszłym miesiącu był tańszy{e}",
        ],
        "chat": [
            "{p} czy {p2}? Nie mogę się zdecydować",
            "ktoś ma {p}? Myślę o nim do nowej kuchni",
            "widziałem stoisko Velora na targach, ładny design",
            "{p} dziś w promocji, brać?",
        ],
    },
    "de": {
        "ship": [
            "habe vor {n} Tagen {p} bestellt, wann kommt das in {c} an?",
            "liefert ihr auch nach {c}? Würde gern {p} bestellen",
            "meine Bestellung hängt seit {n} Tagen fest, könnt ihr nachsehen?",
            "Lieferzeit für {p} nach {c}? Auf der Website steht nichts",
        ],
        "descale": [
            "wie oft muss man {p} entkalken? In {c} ist das Wasser extrem hart",
            "kann ich {p} mit Zitronensäure entkalken oder nur mit eurem Mittel?",
            "die Entkalkungsanzeige geht nicht aus, was mache ich falsch?",
        ],
        "warranty": [
            "gilt die 2-Jahres-Garantie auf {p} auch bei Kauf über Amazon?",
            "brauche ich den Kassenbon für die Garantie? Hab ihn verloren...",
            "wie aktiviere ich die Garantieverlängerung für {p}?",
        ],
        "praise": [
            "{p} ist echt toll, der Morgenkaffee ist ein Genuss{e}",
            "{p} heute angekommen, schönes Design und super leise{e}",
            "seit {n} Monaten mit {p} und immer noch begeistert{e}",
            "meiner Mutter {p} geschenkt, sie liebt es{e}",
            "Kundenservice super schnell, danke{e}",
        ],
        "mild": [
            "der Deckel vom Aria-Wasserkocher geht etwas schwer auf{e}",
            "die App verbindet sich nicht mit {p}, Neustart hilft nicht{e}",
            "Lieferung {n} Tage zu spät, bisschen enttäuscht{e}",
            "der Kaffee aus der Brio kommt mir weniger heiß vor als früher{e}",
            "schon wieder teurer? {P} war letzten Monat günstiger{e}",
        ],
        "chat": [
            "{p} oder {p2}? Kann mich nicht entscheiden",
            "hat jemand {p}? Überlege, es für die neue Küche zu kaufen",
            "Velora-Stand auf der Messe in {c} gesehen, schickes Design",
            "{p} heute im Angebot, zuschlagen?",
        ],
    },
    "en": {
        "ship": [
            "ordered the {p} {n} days ago, any idea when it gets to {c}?",
            "do you ship to {c}? Keen to order the {p}",
            "my order has been stuck for {n} days, can you check?",
            "delivery time for the {p} to {c}? The website isn't clear",
        ],
        "descale": [
            "how often should I descale the {p}? Water in {c} is rock hard",
            "is citric acid ok for descaling the {p} or do I need your stuff?",
            "descale light won't go off even after a full cycle, what am I doing wrong?",
        ],
        "warranty": [
            "is the 2-year warranty on the {p} valid if I bought it on Amazon?",
            "do I need the receipt for the warranty? Lost it...",
            "how do I register the extended warranty for the {p}?",
        ],
        "praise": [
            "the {p} is lovely, morning coffee has never been better{e}",
            "my {p} arrived today, gorgeous and so quiet{e}",
            "{n} months with the {p} and still obsessed{e}",
            "got my mum the {p} and she loves it{e}",
            "super quick customer service, thank you{e}",
        ],
        "mild": [
            "the lid on the Aria kettle is a bit stiff to open{e}",
            "app won't pair with my {p}, already tried a restart{e}",
            "delivery was {n} days late, bit disappointed{e}",
            "coffee from my Brio seems less hot than it used to{e}",
            "another price rise? The {p} was cheaper last month{e}",
        ],
        "chat": [
            "{p} or {p2}? Can't decide",
            "anyone got the {p}? Thinking of getting one for the new kitchen",
            "saw the Velora stand at the expo in {c}, nice design",
            "the {p} is on offer today, worth it?",
        ],
    },
}
BASE_WEIGHTS = {"ship": 16, "descale": 12, "warranty": 10, "praise": 24, "mild": 18, "chat": 20}
OPENERS = {
    "it": ["", "", "", "Domanda: ", "Ciao! ", "Buongiorno, ", "Scusate, "],
    "es": ["", "", "", "Pregunta: ", "¡Hola! ", "Buenas, ", "Perdón, "],
    "pl": ["", "", "", "Pytanie: ", "Hej! ", "Dzień dobry, ", "Sorry, "],
    "de": ["", "", "", "Frage: ", "Hallo! ", "Moin, ", "Sorry, "],
    "en": ["", "", "", "Quick question: ", "Hi! ", "Morning, ", "Sorry, "],
}


def base_text(lang, cat):
    prods = PRODUCTS[lang]
    i = rng.randrange(len(prods))
    p = prods[i]
    p2 = pick([x for j, x in enumerate(prods) if j // 2 != i // 2])  # another product line
    s = pick(BASE[lang][cat]).format(
        p=p, P=cap(p), p2=p2, n=rng.randint(2, 14), c=pick(CITIES[lang]),
        e=pick(EMO_NEG if cat == "mild" else EMO_Q if cat in ("ship", "descale", "warranty") else EMO_POS))
    if cat in ("ship", "descale", "warranty"):
        s = pick(OPENERS[lang]) + s
    s = cap(s)
    if cat == "chat" and maybe(0.5):
        return s  # talks about the brand without tagging it
    return place_mention(s)


BRAND_ANSWERS = {
    "it": {
        "ship": "Ciao! Le spedizioni partono in 24h e arrivano in 2-4 giorni lavorativi. Scrivici in privato il numero d'ordine e controlliamo subito.",
        "descale": "Ciao! Consigliamo di decalcificare ogni 4-6 settimane con acqua dura. L'acido citrico va benissimo, trovi la guida sul nostro sito.",
        "warranty": "Ciao! La garanzia è di 2 anni ovunque tu l'abbia acquistato, basta una prova d'acquisto anche digitale. Scrivici in privato per i dettagli.",
        "mild": "Ci dispiace! Scrivici in privato con il numero di serie e ti aiutiamo a risolvere.",
    },
    "es": {
        "ship": "¡Hola! Los envíos salen en 24 h y llegan en 2-4 días laborables. Escríbenos por privado con el número de pedido y lo revisamos.",
        "descale": "¡Hola! Con agua dura recomendamos descalcificar cada 4-6 semanas. El ácido cítrico funciona perfectamente, tienes la guía en la web.",
        "warranty": "¡Hola! La garantía es de 2 años sin importar dónde lo compraras; basta con el justificante de compra. Escríbenos por privado.",
        "mild": "¡Lo sentimos! Escríbenos por privado con el número de serie y lo solucionamos.",
    },
    "pl": {
        "ship": "Cześć! Wysyłamy w 24h, dostawa trwa 2-4 dni robocze. Napisz do nas prywatnie numer zamówienia, sprawdzimy.",
        "descale": "Cześć! Przy twardej wodzie polecamy odkamienianie co 4-6 tygodni. Kwasek cytrynowy jest w porządku, instrukcja jest na stronie.",
        "warranty": "Cześć! Gwarancja to 2 lata niezależnie od miejsca zakupu, wystarczy dowód zakupu. Napisz do nas prywatnie.",
        "mild": "Przykro nam! Napisz do nas prywatnie z numerem seryjnym, pomożemy.",
    },
    "de": {
        "ship": "Hallo! Wir versenden innerhalb von 24 h, die Lieferung dauert 2-4 Werktage. Schick uns die Bestellnummer per DM, wir schauen nach.",
        "descale": "Hallo! Bei hartem Wasser empfehlen wir alle 4-6 Wochen zu entkalken. Zitronensäure ist völlig ok, die Anleitung findest du auf unserer Website.",
        "warranty": "Hallo! Die Garantie gilt 2 Jahre, egal wo du gekauft hast – ein Kaufbeleg reicht. Schreib uns gern per DM.",
        "mild": "Das tut uns leid! Schick uns per DM die Seriennummer, dann helfen wir dir weiter.",
    },
    "en": {
        "ship": "Hi! Orders ship within 24h and arrive in 2-4 working days. DM us your order number and we'll check right away.",
        "descale": "Hi! With hard water we recommend descaling every 4-6 weeks. Citric acid is fine, there's a guide on our website.",
        "warranty": "Hi! The warranty is 2 years wherever you bought it, any proof of purchase works. Drop us a DM for details.",
        "mild": "Sorry to hear that! DM us your serial number and we'll sort it out.",
    },
}
BRAND_POSTS = [
    ("en", "Hard water? Our new descaling guide for the Aria kettle and the Brio is live on the blog ☕"),
    ("it", "Buongiorno! Qual è il vostro primo caffè della giornata? Raccontatecelo ☕"),
    ("de", "Neu im Shop: Ersatzfilter für die Velora Duo, jetzt auch im Doppelpack."),
    ("es", "¿Té o café para empezar la semana? Os leemos 👇"),
    ("en", "Weekend brew tip: pre-heat your cup with water from the Aria for a hotter espresso."),
    ("pl", "Dzień dobry! Jak parzycie swoją poranną kawę? ☕"),
]

# ---------------------------------------------------------------- crisis texts

C = {
    "it": {
        "issue": ["la base si è sciolta", "dalla base sono uscite scintille", "c'è una puzza di plastica bruciata",
                  "la base è diventata nera e molle", "ha fatto una scintilla ed è saltata la corrente",
                  "la spina era bollente", "la base si è sciolta e ha fatto scintille"],
        "when": ["stamattina", "ieri sera", "oggi", "ieri", "poco fa", "mentre facevo il tè", "la settimana scorsa"],
        "feel": ["È pericoloso.", "Come fa a essere ancora in vendita?", "Ritirate subito il prodotto!",
                 "Voglio il rimborso completo.", "Prodotto difettoso e pericoloso.", "Inaccettabile.",
                 "Poteva prendere fuoco la cucina.", "Serve un richiamo, subito."],
        "complaint": [
            "anche il mio Velora Aria: {when} {issue}. Ce l'ho da {m} mesi. {feel}",
            "{When} {issue} sul mio bollitore Aria. {feel}",
            "il bollitore Velora Aria ce l'ho da {m} mesi e {when} {issue}. {feel}",
            "confermo: {issue}, {when}. Bollitore Aria, {m} mesi di vita. {feel}",
        ],
        "concern": [
            "ho appena letto dei bollitori Aria che si sciolgono. {have} {q}",
            "è vero che la base dell'Aria si scioglie? {have} {q}",
            "leggo di scintille e plastica sciolta sui bollitori Velora. {have} {q}",
        ],
        "have": ["Ce l'ho in cucina proprio adesso.", "Mia madre ne ha uno.", "L'abbiamo comprato a Natale.",
                 "Lo uso tutti i giorni."],
        "q": ["È sicuro usarlo?", "Devo smettere di usarlo?", "Intanto lo stacco.", "Aspetto una risposta."],
        "demand": [
            "quando ritirate dal mercato il bollitore Aria? Prima che qualcuno si faccia male?",
            "voglio il rimborso per il mio Aria, non lo uso più. È un prodotto pericoloso.",
            "serve un richiamo ufficiale del bollitore Aria, non un comunicato.",
            "rimborso o sostituzione? Il mio Aria puzza di bruciato. Rispondete.",
        ],
        "toxic": [
            "banda di incompetenti, vergognatevi. Vendete roba che prende fuoco.",
            "siete dei buffoni e dei ladri. Ridatemi i soldi.",
            "complimenti, idioti: un bollitore che fa scintille. Mai più Velora.",
        ],
        "reply": [
            "anche il mio! {When} {issue}.", "che paura, per fortuna stai bene 🙏",
            "segnalalo all'associazione consumatori, subito.", "ne ho uno identico, lo stacco adesso.",
            "assurdo. {feel}", "uguale: {issue}, {when}. Ho le foto.",
        ],
        "reshare": ["Attenzione!!", "😱", "Condivido, controllate i vostri bollitori", "Fate girare"],
    },
    "es": {
        "issue": ["la base se derritió", "salieron chispas de la base", "olía a plástico quemado",
                  "la base se puso negra y blanda", "saltaron chispas y se fue la luz", "el enchufe estaba ardiendo",
                  "la base se derritió y echó chispas"],
        "when": ["esta mañana", "anoche", "hoy", "ayer", "hace un rato", "mientras calentaba agua", "la semana pasada"],
        "feel": ["Es peligroso.", "¿Cómo sigue esto a la venta?", "¡Retirada del producto ya!",
                 "Quiero el reembolso completo.", "Producto defectuoso y peligroso.", "Inaceptable.",
                 "Podría haberse quemado la cocina.", "Exijo una retirada inmediata."],
        "complaint": [
            "a mí también con el Velora Aria: {when} {issue}. Lo tengo desde hace {m} meses. {feel}",
            "{When} {issue} en mi hervidor Aria. {feel}",
            "tengo el hervidor Velora Aria desde hace {m} meses y {when} {issue}. {feel}",
            "confirmo: {issue}, {when}. Hervidor Aria con {m} meses. {feel}",
        ],
        "concern": [
            "acabo de leer lo de los hervidores Aria que se derriten. {have} {q}",
            "¿es verdad que la base del Aria se derrite? {have} {q}",
            "leo de chispas y plástico derretido en los hervidores Velora. {have} {q}",
        ],
        "have": ["Lo tengo en la cocina ahora mismo.", "Mi madre tiene uno.", "Nos lo regalaron en Navidad.",
                 "Lo uso a diario."],
        "q": ["¿Es seguro?", "¿Dejo de usarlo?", "Por si acaso lo desenchufo.", "Espero respuesta."],
        "demand": [
            "¿cuándo vais a retirar el hervidor Aria? ¿Cuando alguien se queme?",
            "quiero el reembolso de mi Aria, no pienso volver a usarlo. Es peligroso.",
            "hace falta una retirada oficial del Aria, no un comunicado.",
            "¿reembolso o cambio? Mi Aria huele a quemado. Contestad.",
        ],
        "toxic": [
            "panda de inútiles, vendéis cosas que arden. Qué vergüenza.",
            "sois unos sinvergüenzas y unos estafadores. Devolvedme el dinero.",
            "enhorabuena, genios: un hervidor que echa chispas. Nunca más Velora.",
        ],
        "reply": [
            "¡el mío también! {When} {issue}.", "qué miedo, menos mal que estás bien 🙏",
            "denúncialo a consumo, ya.", "tengo uno igual, lo desenchufo ahora.",
            "increíble. {feel}", "igual: {issue}, {when}. Tengo fotos.",
        ],
        "reshare": ["¡Ojo con esto!", "😱", "Revisad vuestros hervidores", "Difundid"],
    },
    "pl": {
        "issue": ["podstawa się stopiła", "z podstawy poszły iskry", "śmierdziało spalonym plastikiem",
                  "podstawa zrobiła się czarna i miękka", "poszła iskra i wywaliło korki", "wtyczka była rozgrzana",
                  "podstawa się stopiła i sypały się iskry"],
        "when": ["dziś rano", "wczoraj wieczorem", "dzisiaj", "wczoraj", "przed chwilą", "przy gotowaniu wody",
                 "w zeszłym tygodniu"],
        "feel": ["To jest niebezpieczne.", "Jak to może być dalej w sprzedaży?", "Wycofajcie to natychmiast!",
                 "Chcę zwrotu pieniędzy.", "Wadliwy i niebezpieczny sprzęt.", "Skandal.",
                 "Mogła się spalić kuchnia.", "Żądam wycofania produktu."],
        "complaint": [
            "u mnie też, czajnik Velora Aria: {when} {issue}. Mam go od {m} miesięcy. {feel}",
            "{When} {issue} w moim czajniku Aria. {feel}",
            "mam czajnik Velora Aria od {m} miesięcy i {when} {issue}. {feel}",
            "potwierdzam: {issue}, {when}. Czajnik Aria, {m} mies. {feel}",
        ],
        "concern": [
            "właśnie czytam o topiących się czajnikach Aria. {have} {q}",
            "czy to prawda, że podstawa Arii się topi? {have} {q}",
            "piszą o iskrach i stopionym plastiku w czajnikach Velora. {have} {q}",
        ],
        "have": ["Mam taki w kuchni.", "Mama ma taki sam.", "Dostaliśmy go na święta.", "Używam go codziennie."],
        "q": ["Czy jest bezpieczny?", "Mam przestać go używać?", "Na razie odłączam.", "Czekam na odpowiedź."],
        "demand": [
            "kiedy wycofacie czajnik Aria? Jak ktoś się poparzy?",
            "chcę zwrotu pieniędzy za Arię, więcej go nie włączę. To niebezpieczne.",
            "potrzebne jest oficjalne wycofanie Arii, a nie komunikat.",
            "zwrot czy wymiana? Moja Aria śmierdzi spalenizną. Odpiszcie.",
        ],
        "toxic": [
            "banda oszustów, sprzedajecie bubel, który się pali. Wstyd.",
            "idioci, oddawajcie kasę.",
            "gratulacje, geniusze: czajnik, który iskrzy. Nigdy więcej Velora.",
        ],
        "reply": [
            "u mnie to samo! {When} {issue}.", "ale strach, dobrze, że nic ci się nie stało 🙏",
            "zgłoś to do UOKiK, koniecznie.", "mam taki sam, odłączam od razu.",
            "masakra. {feel}", "to samo: {issue}, {when}. Mam zdjęcia.",
        ],
        "reshare": ["Uwaga!", "😱", "Sprawdźcie swoje czajniki", "Udostępniam"],
    },
    "de": {
        "issue": ["ist der Sockel geschmolzen", "kamen Funken aus dem Sockel", "roch es nach verbranntem Plastik",
                  "wurde der Sockel schwarz und weich", "gab es Funken und die Sicherung flog raus",
                  "war der Stecker glühend heiß", "ist der Sockel geschmolzen und hat Funken geschlagen"],
        "when": ["heute Morgen", "gestern Abend", "heute", "gestern", "gerade eben", "beim Teekochen", "letzte Woche"],
        "feel": ["Das ist gefährlich.", "Wie kann das noch verkauft werden?", "Sofortiger Rückruf!",
                 "Ich will mein Geld zurück.", "Defekt und gefährlich.", "Unfassbar.",
                 "Da hätte die Küche brennen können.", "Ich fordere einen Rückruf."],
        "complaint": [
            "bei meinem Velora Aria auch: {when} {issue}. Habe ihn seit {m} Monaten. {feel}",
            "{When} {issue}, Wasserkocher Aria. {feel}",
            "seit {m} Monaten habe ich den Velora Aria und {when} {issue}. {feel}",
            "bestätige: {when} {issue}. Aria-Wasserkocher, {m} Monate alt. {feel}",
        ],
        "concern": [
            "lese gerade von schmelzenden Aria-Wasserkochern. {have} {q}",
            "stimmt es, dass der Sockel vom Aria schmilzt? {have} {q}",
            "überall Berichte über Funken und geschmolzenes Plastik bei Velora-Wasserkochern. {have} {q}",
        ],
        "have": ["Steht bei mir in der Küche.", "Meine Mutter hat auch einen.", "Haben wir zu Weihnachten bekommen.",
                 "Benutze ihn jeden Tag."],
        "q": ["Ist der sicher?", "Soll ich ihn nicht mehr benutzen?", "Ziehe erstmal den Stecker.", "Warte auf Antwort."],
        "demand": [
            "wann ruft ihr den Aria-Wasserkocher zurück? Erst wenn jemand verletzt ist?",
            "ich will mein Geld für den Aria zurück, den benutze ich nie wieder. Gefährlich.",
            "es braucht einen offiziellen Rückruf für den Aria, keine Pressemitteilung.",
            "Erstattung oder Ersatz? Mein Aria riecht verbrannt. Antwortet endlich.",
        ],
        "toxic": [
            "ihr Betrüger, schämt euch. Ihr verkauft Brandgefahr.",
            "was für ein Saftladen, ihr Idioten. Geld zurück.",
            "Glückwunsch, ihr Genies: ein Wasserkocher, der Funken sprüht. Nie wieder Velora.",
        ],
        "reply": [
            "bei mir auch! {When} {issue}.", "krass, zum Glück ist dir nichts passiert 🙏",
            "unbedingt bei der Verbraucherzentrale melden.", "habe den gleichen, ziehe sofort den Stecker.",
            "unglaublich. {feel}", "genauso: {when} {issue}. Habe Fotos.",
        ],
        "reshare": ["Achtung!", "😱", "Checkt eure Wasserkocher", "Bitte teilen"],
    },
    "en": {
        "issue": ["the base melted", "sparks came out of the base", "it smelled of burning plastic",
                  "the base went black and soft", "it sparked and tripped the fuse", "the plug was scorching hot",
                  "the base melted and threw sparks"],
        "when": ["this morning", "last night", "today", "yesterday", "just now", "while I was making tea", "last week"],
        "feel": ["This is dangerous.", "How is this still on sale?", "Recall it now!",
                 "I want a full refund.", "Defective and dangerous.", "Unacceptable.",
                 "Could have set the kitchen on fire.", "This needs a recall."],
        "complaint": [
            "same with my Velora Aria: {when} {issue}. Had it {m} months. {feel}",
            "{When} {issue} on my Aria kettle. {feel}",
            "had the Velora Aria kettle for {m} months and {when} {issue}. {feel}",
            "can confirm: {issue}, {when}. Aria kettle, {m} months old. {feel}",
        ],
        "concern": [
            "just read about Aria kettles melting. {have} {q}",
            "is it true the Aria kettle base melts? {have} {q}",
            "seeing reports of sparks and melted plastic on Velora kettles. {have} {q}",
        ],
        "have": ["Got one on my counter right now.", "My mum has one.", "We got one for Christmas.", "I use it every day."],
        "q": ["Is it safe?", "Should I stop using it?", "Unplugging mine for now.", "Waiting for an answer."],
        "demand": [
            "when are you recalling the Aria kettle? After someone gets hurt?",
            "I want a refund for my Aria, not using it again. It's unsafe.",
            "this needs an official recall of the Aria, not a statement.",
            "refund or replacement? My Aria smells of burning. Answer please.",
        ],
        "toxic": [
            "you absolute clowns, selling fire hazards. Shame on you.",
            "greedy idiots. Give people their money back.",
            "well done, geniuses: a kettle that sparks. Never buying Velora again.",
        ],
        "reply": [
            "mine too! {When} {issue}.", "that's terrifying, glad you're ok 🙏",
            "report it to trading standards asap.", "I have the same one, unplugging it now.",
            "unreal. {feel}", "same here: {issue}, {when}. Have photos.",
        ],
        "reshare": ["Wow.", "😳", "Check your kettles, people", "Please share"],
    },
}
EMO_CRISIS = ["", "", "", "", " 😱", " 😡", " 🔥", " ⚠️", " 🤬"]


def crisis_text(lang, cat, tag=True):
    d = C[lang]
    when = pick(d["when"])
    if cat in ("complaint", "reply"):
        tpl = pick(d[cat])
    elif cat == "concern":
        tpl = pick(d["concern"])
    else:
        tpl = pick(d[cat])
    m = rng.randint(2, 11)
    s = tpl.format(issue=pick(d["issue"]), when=when, When=cap(when), feel=pick(d["feel"]), m=m,
                   have=pick(d["have"]), q=pick(d["q"]))
    s = cap(s) + pick(EMO_CRISIS)
    if tag:
        s = place_mention(s, 0.7)
    return s


# ---------------------------------------------------------------- build events

events = []  # dicts with internal fields; ids assigned after sorting


def add(t, author, kind, text, lang, crisis=False, parent=None, reshared=None, platform=None):
    ev = {"t": t, "author": author, "kind": kind, "text": text, "lang": lang, "crisis": crisis,
          "parent": parent, "reshared": reshared,
          "platform": platform or author.get("_platform")}
    events.append(ev)
    return ev


def diurnal(t):
    h = t % 24
    bump = math.sin(math.pi * (h - 6) / 16) if 6 <= h <= 22 else 0.0
    return 2.5 + 16.5 * max(0.0, bump)


BASE_LANG_W = [28, 18, 14, 18, 22]  # it es pl de en

# ordinary traffic, all three days
for t in poisson_times(diurnal, 0.0, HOURS, 19.0):
    lang = rng.choices(LANGS, BASE_LANG_W)[0]
    cat = rng.choices(list(BASE_WEIGHTS), list(BASE_WEIGHTS.values()))[0]
    a = any_author(lang)
    ev = add(t, a, "mention", base_text(lang, cat), lang)
    # the brand answers some questions and complaints
    if cat in BRAND_ANSWERS[lang] and maybe(0.28 if cat != "mild" else 0.18):
        rt = t + rng.uniform(0.15, 2.2)
        if rt < HOURS and not (ONSET_H - 0.5 < rt < ONSET_H + 12):
            txt = f"{a['handle']} {BRAND_ANSWERS[lang][cat]}"
            add(rt, BRAND, "reply", txt, lang, parent=ev, platform=ev["platform"])

for i, (lang, txt) in enumerate(BRAND_POSTS):
    day = i // 2
    t = day * 24 + (9.5 if i % 2 == 0 else 16.25) + rng.uniform(0, 0.5)
    if day == 2 and t > ONSET_H - 0.5:
        continue  # the scheduled afternoon post is pulled once the crisis starts
    add(t, BRAND, "post", txt, lang, platform="mastodon" if i % 2 == 0 else "bluesky")

# --- the crisis
first_author = new_author("it", "mastodon", followers=412, verified=False, handle="@chiara.benedetti")
used_handles.add("chiara.benedetti")
FIRST_TEXT = ("@velora Stamattina la base del mio bollitore Velora Aria si è sciolta mentre scaldavo l'acqua, "
              "con scintille dalla presa 😱 Nella foto: plastica annerita e deformata sotto la caraffa. "
              "Ce l'ho da 4 mesi. È pericoloso, poteva prendere fuoco la cucina. Cosa intendete fare?")
first = add(ONSET_H, first_author, "mention", FIRST_TEXT, "it", crisis=True)

journalist = new_author("en", "mastodon", followers=481_300, verified=True, handle="@nora.whitfield")
used_handles.add("nora.whitfield")
QUOTE_TEXT = ("Third report I've seen this morning of a Velora Aria kettle base melting and throwing sparks: "
              "Italy, Spain, Germany. If you own one, unplug it until @velora explains what's going on. "
              "Same problem? Send me photos. #consumerrights")
quote = add(MULT_H, journalist, "quote", QUOTE_TEXT, "en", crisis=True, reshared=first)

hold_h = MULT_H + 0.55
HOLD_EN = ("We're aware of reports about the base of the Velora Aria kettle overheating. Your safety comes first: "
           "please unplug your Aria and don't use it until we update you. Our engineers are investigating "
           "urgently. Updates here within the day.")
HOLD_IT = ("Abbiamo letto le segnalazioni sulla base del bollitore Velora Aria. La vostra sicurezza viene prima "
           "di tutto: staccate l'Aria dalla presa e non usatelo finché non vi aggiorniamo. Stiamo verificando "
           "con urgenza.")
hold = add(hold_h, BRAND, "post", HOLD_EN, "en", crisis=True, platform="mastodon")
add(hold_h + 0.03, BRAND, "post", HOLD_EN, "en", crisis=True, platform="bluesky")
add(hold_h + 0.08, BRAND, "post", HOLD_IT, "it", crisis=True, platform="mastodon")
APOLOGY = ("@chiara.benedetti Chiara, ci dispiace davvero moltissimo e siamo sollevati che tu stia bene. "
           "Ti abbiamo scritto in privato: vorremmo ritirare il bollitore per analizzarlo e rimborsarti "
           "subito. Grazie per la segnalazione.")
add(MULT_H + 1.9, BRAND, "reply", APOLOGY, "it", crisis=True, parent=first, platform="mastodon")
JREPLY = ("@nora.whitfield Thank you for flagging this. We take it extremely seriously: customers should unplug "
          "the Aria for now, and we're contacting everyone who reported a problem directly. We'll share our "
          "findings publicly.")
add(MULT_H + 2.3, BRAND, "reply", JREPLY, "en", crisis=True, parent=quote, platform="mastodon")

PLATEAU = 215.0


def crisis_rate(t):
    x = t - ONSET_H
    if x < 0:
        return 0.0
    if t < MULT_H:
        return 3.0 + 8.0 * x                       # word of mouth, Italian first
    y = t - MULT_H
    if y < 1.0:
        return 28.0 + (PLATEAU - 28.0) * y        # the quote lands
    if y < 3.4:
        return PLATEAU
    return PLATEAU * 0.5 ** ((y - 3.4) / 2.5)      # decay


crisis_posts = {"mastodon": [first], "bluesky": []}  # originals that can be replied to or reshared
for t in poisson_times(crisis_rate, ONSET_H + 0.08, HOURS, PLATEAU + 1):
    after = t >= MULT_H
    x = t - ONSET_H
    if not after:
        it_share = max(0.35, 0.85 - 0.15 * x)
        lang = "it" if maybe(it_share) else rng.choices(["es", "de", "pl", "en"], [30, 30, 15, 25])[0]
        cat = rng.choices(["complaint", "concern", "reply_first", "reshare", "demand", "toxic"],
                          [30, 20, 25, 14, 9, 2])[0]
    else:
        lang = rng.choices(LANGS, [24, 16, 14, 16, 30])[0]
        cat = rng.choices(["complaint", "concern", "reply_quote", "reply_first", "reply_other", "reshare",
                           "demand", "toxic", "reply_brand"],
                          [17, 13, 11, 4, 6, 30, 11, 4, 4 if t > hold_h else 0])[0]
    if cat == "reshare":
        if not after:
            target = first if maybe(0.75) or not crisis_posts["mastodon"][1:] else pick(crisis_posts["mastodon"])
        else:
            r = rng.random()
            if r < 0.55:
                target = quote
            elif r < 0.7:
                target = first
            else:
                plat = "mastodon" if maybe(0.5) else "bluesky"
                pool = crisis_posts[plat] or crisis_posts["mastodon"]
                target = pick(pool[-60:])
        a = any_author(lang, target["platform"])
        text = "" if maybe(0.75) else pick(C[lang]["reshare"])
        add(t, a, "reshare", text, lang if text else None, crisis=True, reshared=target)
        continue
    if cat.startswith("reply"):
        if cat == "reply_first":
            parent = first
        elif cat == "reply_quote":
            parent = quote
        elif cat == "reply_brand":
            parent = hold
        else:
            pool = crisis_posts["mastodon"][1:] + crisis_posts["bluesky"]
            parent = pick(pool[-80:]) if pool else first
        if parent is first and not after and maybe(0.5):
            lang = "it"
        a = any_author(lang, parent["platform"])
        if cat == "reply_brand" and maybe(0.5):
            body = cap(pick(C[lang]["demand"])) + pick(EMO_CRISIS)
        elif maybe(0.75):
            body = crisis_text(lang, "reply", tag=False)
        else:
            body = crisis_text(lang, pick(["complaint", "concern"]), tag=False)
        text = f"{parent['author']['handle']} {body}" if maybe(0.6) else body
        add(t, a, "reply", text, lang, crisis=True, parent=parent)
        continue
    a = any_author(lang)
    text = crisis_text(lang, cat)
    ev = add(t, a, "mention", text, lang, crisis=True)
    if cat in ("complaint", "demand", "toxic"):
        crisis_posts[ev["platform"]].append(ev)

# ---------------------------------------------------------------- serialise

events = [e for e in events if e["t"] < HOURS]
events.sort(key=lambda e: int(round(e["t"] * 3600)))
next_num = 20417
for e in events:
    next_num += rng.randint(1, 9)
    e["num"] = next_num
    e["id"] = f"{e['platform']}:{next_num}"

lines, crisis_ids = [], []
for e in events:
    a = e["author"]
    handle = a["handle"]
    obj = {
        "id": e["id"],
        "platform": e["platform"],
        "channel": CHANNEL,
        "kind": e["kind"],
        "created_at": ts(e["t"]),
        "author": {"id": a["id"], "handle": handle, "followers": a["followers"], "verified": a["verified"]},
        "text": e["text"],
        "in_reply_to": e["parent"]["id"] if e["parent"] else None,
        "reshare_of": e["reshared"]["id"] if e["reshared"] else None,
        "url": f"https://social.example/{handle}/{e['num']}",
    }
    if e["lang"] and maybe(0.8):  # platforms omit it on some posts
        obj["lang"] = e["lang"]
    lines.append(json.dumps(obj, ensure_ascii=False))
    if e["crisis"]:
        crisis_ids.append(e["id"])

for e in events:  # sanity: parents precede children
    for p in (e["parent"], e["reshared"]):
        assert p is None or p["t"] < e["t"], (e["id"], p["id"])

labels = {
    "brand": "Velora",
    "channel": CHANNEL,
    "platform": "mastodon+bluesky",
    "is_crisis": True,
    "kind": "defective_product",
    "lang": "multi",
    "seed": SEED,
    "start": ts(0),
    "end": ts(HOURS),
    "onset": ts(first["t"]),
    "multiplier": {"id": quote["id"], "at": ts(quote["t"]), "followers": journalist["followers"]},
    "keywords": ["melted", "sparks", "burning", "recall", "dangerous",
                 "sciolta", "scintille", "pericoloso", "derritió", "chispas",
                 "geschmolzen", "Funken", "Rückruf", "stopiła", "iskry"],
    "crisis_size": len(crisis_ids),
    "messages": len(lines),
    "crisis_ids": crisis_ids,
}

OUT_DIR.mkdir(parents=True, exist_ok=True)
(OUT_DIR / "velora-crisis.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
(OUT_DIR / "velora-crisis.labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n",
                                                    encoding="utf-8")
print(f"wrote {len(lines)} mentions ({len(crisis_ids)} crisis) to {OUT_DIR}")
