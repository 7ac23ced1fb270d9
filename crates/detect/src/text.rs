//! Text helpers: tokenising, stopwords (en, fr, de, es, it, pl, pt) and the
//! small multilingual sentiment lexicon used when a mention has no analysis.

use std::collections::HashSet;
use std::sync::OnceLock;

const STOPWORDS: &str = "
a about above after again against all also am an and any are aren't as at be because been before being below between both but by can can't could did didn't do does doesn't doing don't down during each few for from further get got had has hasn't have haven't having he her here hers him his how i i'm i've if in into is isn't it it's its itself just let me more most my myself no nor not now of off on once only or other our ours out over own same she should so some such than that that's the their theirs them then there these they this those through to too under until up very was wasn't we were what when where which while who whom why will with would you you're your yours just really still even via amp rt new one ever every again yet once since today got gets getting
le la les un une des du de d' et ou mais donc car ni que qui quoi dont où ce cet cette ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs je tu il elle on nous vous ils elles me te se lui y en au aux avec pour par sur dans sous chez sans pas ne plus très est sont été être avoir ai as avons avez ont fait c'est suis es était comme tout tous toute toutes aussi bien alors chaque fois encore après avant puis ainsi aujourd'hui déjà pendant
der die das den dem des ein eine einer eines einem einen und oder aber doch denn dass ich du er sie es wir ihr mich dich sich mir dir uns euch mein meine meinen meinem meiner dein deine sein seine ihre unser euer ist sind war waren bin bist sein hat habe haben hatte hatten wird werden wurde nicht kein keine keinen auch noch schon nur sehr mit von zu zum zur bei aus nach vor für über unter auf an am im in um wie was wer wo wann als wenn so da hier dort man mal ja nein jetzt immer heute wurden worden gerade habt hab euer eure euren eurem eurer jeder jede jedes mehr dann weil während
el la los las un una unos unas y o pero que de del al a en con por para sin sobre entre es son fue ser estar está están estoy he ha han hay yo tú él ella nosotros vosotros ellos ellas me te se le les lo nos os mi mis tu tus su sus nuestro vuestro muy más ya no sí como cuando donde porque también este esta estos estas ese esa eso todo todos qué cómo cada vez todavía después antes luego así hoy acaba acabo vuestra vuestros vuestras nuestra mientras
il lo la i gli le un uno una e ed o ma che di del della dei delle da dal dalla in nel nella con su per tra fra non è sono era essere ho hai ha abbiamo hanno io tu lui lei noi voi loro mi ti si ci vi mio mia miei mie tuo tua suo sua nostro vostro molto più già come quando dove perché anche questo questa quello quella tutto tutti cosa sempre ogni volta ancora dopo prima poi così ora oggi proprio solo stato stata fatto mentre
i w z na do że się nie to jest jak ale o od po za dla co czy tak już tylko jeszcze bardzo mnie mi ja ty on ona my wy oni one ich go jej jego nas was być był była było są jestem ten ta te tego tej tym mój moja moje twój twoja nasz wasz przez przy pod nad bez u a albo lub też sobie może mam ma mają każdy każda każde razem jeszcze potem dziś teraz wasza wasze waszą waszej nasza nasze podczas
o a os as um uma uns umas e ou mas que de do da dos das em no na nos nas com por para sem sobre é são foi ser estar está estão eu tu ele ela nós vós eles elas me te se lhe lhes meu minha seu sua nosso muito mais já não sim como quando onde porque também este esta isso isto tudo todos cada vez ainda depois antes então assim hoje vocês enquanto
two three times twice without yesterday tomorrow tonight morning hier demain matin soir gestern morgen abend ayer mañana anoche ieri domani stamattina stasera wczoraj jutro rano dzisiaj ontem amanhã fois deux trois quand pourquoi wann warum zwei drei ohne habt eure euren dos tres veces habéis habeis hemos cuándo dónde quién due tre volte avete abbiamo senza dwa dwie trzy razy raz macie kiedy gdzie dlaczego dużo dois duas três vezes têm tem
";

const NEGATIVE: &str = "
bad worst terrible awful horrible hate hated disgusting disgrace shame scam fraud broken defective faulty dangerous unsafe burnt burned fire refund never late lost missing stuck rude insult insulted idiot arrogant useless angry furious disappointed disappointing complaint boycott recall liar liars lies thief thieves unacceptable outrageous ridiculous pathetic waste nobody ignored ignoring delayed delay nightmare problem problems failed fail fails garbage trash junk
mauvais nul nulle horrible honte honteux arnaque escroc cassé défectueux dangereux brûlé remboursement jamais retard perdu bloqué impoli insulte idiot arrogant inutile furieux déçu déception plainte boycott rappel menteur voleur inacceptable scandaleux ridicule pire problème panne
schlecht schlimm schrecklich furchtbar hass ekelhaft schande skandal betrug betrüger kaputt defekt gefährlich verbrannt erstattung nie niemals verspätung verspätet verloren unhöflich beleidigt beleidigung idiot arrogant nutzlos wütend enttäuscht enttäuschung beschwerde boykott rückruf lügner dieb inakzeptabel unverschämt lächerlich problem müll
malo mala pésimo pésima terrible horrible odio asco vergüenza vergonzoso estafa fraude roto rota defectuoso defectuosa peligroso peligrosa quemado quemada reembolso nunca retraso tarde perdido perdida atascado grosero grosera insulto idiota arrogante inútil enfadado furioso decepcionado decepción queja boicot mentiroso inaceptable ridículo problema basura
cattivo pessimo pessima terribile orribile odio schifo vergogna vergognoso truffa frode rotto rotta difettoso difettosa pericoloso pericolosa bruciato bruciata rimborso mai ritardo perso persa bloccato insulto idiota arrogante inutile arrabbiato furioso deluso delusione reclamo boicottaggio bugiardo ladro inaccettabile ridicolo problema spazzatura
zły zła złe najgorszy okropny okropne straszny nienawidzę obrzydliwe wstyd hańba oszustwo oszuści zepsuty wadliwy niebezpieczny zwrot nigdy opóźnienie spóźnione zgubione niegrzeczny obraził obraza idiota arogancki arogancka bezużyteczny wściekły rozczarowany rozczarowanie skarga bojkot kłamca złodziej niedopuszczalne skandal żenujące problem śmieci
mau má péssimo péssima terrível horrível ódio nojo vergonha vergonhoso golpe fraude quebrado quebrada defeituoso perigoso queimado reembolso nunca atraso atrasado perdido grosso grosseiro insulto idiota arrogante inútil furioso decepcionado decepção reclamação boicote mentiroso ladrão inaceitável ridículo problema lixo
";

const POSITIVE: &str = "
good great love loved awesome amazing excellent fantastic wonderful beautiful perfect best thanks thank happy glad nice fast recommend proud
bon bonne super génial excellent merci magnifique parfait adore j'adore heureux bravo rapide meilleur
gut gute super toll danke liebe wunderbar schön perfekt beste glücklich großartig schnell empfehlen
bueno buena genial excelente gracias encanta maravilloso hermoso perfecto mejor feliz rápido enhorabuena
buono buona ottimo ottima grazie adoro meraviglioso bellissimo bello fantastico perfetto migliore felice veloce bravi complimenti
dobry dobra dobre świetny świetne super dziękuję dzięki kocham wspaniały piękny idealny najlepszy szczęśliwy szybka polecam brawo
bom boa ótimo ótima obrigado obrigada adoro maravilhoso lindo perfeito melhor feliz rápido parabéns
";

fn set(src: &'static str) -> HashSet<&'static str> {
    src.split_whitespace().collect()
}

/// The union of the stopword lists of en, fr, de, es, it, pl and pt.
pub fn stopwords() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| set(STOPWORDS))
}

fn negative_words() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| set(NEGATIVE))
}

fn positive_words() -> &'static HashSet<&'static str> {
    static S: OnceLock<HashSet<&'static str>> = OnceLock::new();
    S.get_or_init(|| set(POSITIVE))
}

/// Lowercased word tokens of `text`: handles (`@x`) and links dropped, `#`
/// stripped, apostrophes inside words kept.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        if raw.starts_with('@')
            || raw.starts_with("http://")
            || raw.starts_with("https://")
            || raw.starts_with("www.")
        {
            continue;
        }
        let lower = raw.to_lowercase();
        for w in lower.split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’')) {
            let w = w.trim_matches(|c| c == '\'' || c == '’');
            if !w.is_empty() {
                out.push(w.replace('’', "'"));
            }
        }
    }
    out
}

/// Content terms: [`words`] without stopwords, numbers and words shorter
/// than three letters, deduplicated in order of first appearance.
pub fn content_terms(text: &str) -> Vec<String> {
    let sw = stopwords();
    let mut out: Vec<String> = Vec::new();
    for w in words(text) {
        if w.chars().count() < 3 || w.chars().any(|c| c.is_ascii_digit()) || sw.contains(w.as_str())
        {
            continue;
        }
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// Lexicon polarity of a text: (negative hits, positive hits). Used only
/// when a mention has no analysis. A negation word before a positive word
/// turns it negative ("not good", "nie polecam").
pub fn lexicon_polarity(text: &str) -> (usize, usize) {
    let (neg, pos) = (negative_words(), positive_words());
    let ws = words(text);
    let mut n = 0;
    let mut p = 0;
    for (i, w) in ws.iter().enumerate() {
        let negated = i > 0
            && matches!(
                ws[i - 1].as_str(),
                "not" | "no" | "never" | "pas" | "nicht" | "kein" | "non" | "nie" | "não"
            );
        if neg.contains(w.as_str()) {
            n += 1;
        } else if pos.contains(w.as_str()) {
            if negated {
                n += 1;
            } else {
                p += 1;
            }
        }
    }
    if text.contains('😡') || text.contains('🤬') || text.contains('👎') {
        n += 1;
    }
    if text.contains('❤') || text.contains('😍') || text.contains('👍') {
        p += 1;
    }
    (n, p)
}

/// Jaccard similarity of two term lists.
pub fn jaccard(a: &[String], b: &[String]) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let inter = a.iter().filter(|x| b.contains(x)).count();
    let union = a.len() + b.len() - inter;
    inter as f64 / union as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_drop_handles_stopwords_and_numbers() {
        let t = content_terms("@pumaro where is my parcel? 21 days late now #Fail https://x.y/z");
        assert_eq!(t, vec!["parcel", "days", "late", "fail"]);
        let t = content_terms("Mój @cartello ma tę samą wadę! Wycofajcie to");
        assert!(t.contains(&"wycofajcie".to_string()));
        assert!(!t.iter().any(|w| w == "to" || w.starts_with('@')));
        assert_eq!(words("Same here, it hasn’t arrived")[3], "hasn't");
        assert_eq!(
            content_terms("Same here, it hasn't arrived"),
            vec!["arrived"]
        );
    }

    #[test]
    fn lexicon_sees_negative_and_positive() {
        assert!(lexicon_polarity("Atención arrogante y maleducada 😡").0 >= 2);
        assert_eq!(
            lexicon_polarity("Thanks for the charity drive, it's beautiful").0,
            0
        );
        assert!(lexicon_polarity("not good at all").0 >= 1);
    }

    #[test]
    fn jaccard_of_near_duplicates_is_high() {
        let a = content_terms("where is my parcel? 21 days late now");
        let b = content_terms("where is my parcel? 5 days late now");
        assert_eq!(jaccard(&a, &b), 1.0);
        assert!(jaccard(&a, &content_terms("lovely weather today")) < 0.1);
    }
}
