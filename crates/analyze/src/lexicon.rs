//! Small project-written lexicons (it, es, pl, de, en, fr, pt).
//!
//! They exist because Spanish and Italian have no toxicity training data: each
//! lexicon hit becomes a language-independent feature (for example "insult
//! word"), whose weight the models learn from the languages that do have data
//! (en, de, pl) and then apply to every language. Entries ending in `*` are stems
//! (prefix match, at least 4 characters before the `*`).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A small, fast, non-cryptographic hasher (FxHash-style) for lexicon lookups.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(a))
                .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

use crate::features::Cue;

/// Insults and profanity.
const INSULT: &str = "
idiot* stupid* moron* dumb dumbass retard* loser* asshole* bastard* bitch* cunt* dick dickhead fuck* shit* crap wanker* twat* scum* trash garbage pathetic disgusting* clown* jerk* prick* whore* slut* suck sucks
idiota* stupid* cretin* imbecill* coglion* stronz* merd* cazz* vaffanculo fanculo puttan* troia* bastard* schifo* schifos* deficient* scem* porco porca cesso pezzo* mongoloid* minchi* sfigat* buffon* ladri ladro
idiota* estupid* imbecil* imbécil* gilipoll* cabr* mierd* puta* puto* joder jodid* coño pendej* mamon* capull* tont* basura asco* asqueros* hijoputa hdp subnormal* payas* cerd* malparid* carajo chingad* culer* ladrones
idiot* debil* kretyn* głupi* glupi* kurw* chuj* huj* pierdol* jeba* jebi* spierdal* skurwysyn* suk* dziwk* gówn* gown* ciota* pedał* szmat* śmieć* smiec* frajer* pajac* bydl* dureń* matoł* kutas* cwel* złodzie* zlodzie* żałosn* zalosn* pizd*
idiot* dumm* blöd* bloed* depp* vollidiot* arschloch* arsch* scheiß* scheiss* wichser* hure* hurensohn* fotze* schlampe* spast* mongo* penner* drecks* dreck* missgeburt* bastard* verpiss* kacke* trottel* pack gesindel* abschaum* versager* lügner* luegner* lügenpresse* ekelhaft* widerlich* schwachsinn* bekloppt* behindert*
idiot* stupide* connard* connasse* con conne merde* putain* pute* salop* enculé* encule* batard* bâtard* crétin* cretin* débile* debile* abruti* pourri* dégueulasse* nul nulle ordure*
idiota* estúpid* estupid* imbecil* burro* merda* porra caralho* puta* puto* otário* otario* babaca* cretino* lixo* nojent* canalha* desgraçad* desgracad* vagabund* corno* viado* arrombad* filho-da-puta fdp
";

/// Threats of violence.
const THREAT: &str = "
kill* murder* shoot* stab* hang* burn* lynch* slaughter* execute* bomb* behead* strangle* beat destroy* die dead
uccid* ammazz* spar* impicc* bruci* sgozz* massacr* pesta* mor* crepa* crepare distrugg* bomba
mata* matar* mataré* asesin* dispar* ahorc* quem* queme* apuñal* apunal* degoll* muer* revent* bomba* destru*
zabi* zabij* zabić* zabic* zastrzel* powiesi* powies* spal* podpal* zadźga* zadzga* wymord* rozstrzel* zdechn* zdychaj* giń gin zniszcz* bomb* dostan* wpierdol*
umbring* töt* toet* erschieß* erschiess* aufhäng* aufhaeng* aufknüpf* verbrenn* abstech* abknall* vergas* schlachte* sterb* verreck* vernicht* bombe* ausrott*
tuer* tue* buter* égorg* egorg* pendre pendu* brûler* bruler* massacr* crever* crève* creve* bombe* exterminer* fusiller*
matar* mato mata* assassin* enforc* queim* esfaque* degol* morr* morte fuzil* extermin* bomba*
";

/// Identity groups (protected characteristics).
const IDENTITY: &str = "
women woman female* girls muslim* islam* jew* jewish gay gays lesbian* trans transgender* black blacks immigrant* refugee* migrant* disabled asian* arab* mexican* gypsy gypsies roma homosexual* queer* feminist* negro* nigger* nigga* faggot* fag dyke* tranny
donne donna femmin* musulman* islamic* ebre* gay lesbic* trans transessual* neri negri negro immigrat* profugh* migrant* disabil* handicappat* zingar* rom froci* frocio* finocchi* terron* stranier* africani
mujer* hembra* musulman* islámic* islamic* judí* judi* gay* lesbian* trans transexual* negro* negra* inmigrant* refugiad* migrant* discapacitad* minusválid* minusvalid* gitano* moro* moros sudaca* maric* marica* bollera* tortiller* panchit*
kobiet* bab* muzułm* muzulm* islam* żyd* zyd* gej* lesbij* trans transpłci* czarn* murzyn* imigran* uchodźc* uchodzc* migran* niepełnospr* niepelnospr* cygan* pedał* pedal* ciot* lewak* ukrai* arab* uchol*
frauen frau weib* muslim* moslem* islam* jude* juden* jüd* jued* schwul* lesb* trans* schwarze* neger* ausländer* auslaender* flüchtling* fluechtling* migrant* asylant* behinderte* zigeuner* türke* tuerke* kanake* kanaken* araber* schwuchtel*
femme* musulman* islam* juif* juive* gay* lesbienne* trans noir* noire* immigré* immigre* réfugié* refugie* migrant* handicapé* handicape* gitan* arabe* bougnoul* pédé* pede* tapette* gouine*
mulher* muçulman* muculman* islâm* judeu* judia* gay* lésbica* lesbica* trans travesti* negro* negra* preto* preta* imigrant* refugiad* migrant* deficient* cigan* viado* bicha* sapatão* sapatao*
";

/// Dehumanising words.
const DEHUMAN: &str = "
animal* vermin* rats cockroach* parasite* pest* plague* cancer subhuman* savage* filth* trash scum*
animal* parassit* bestie ratti scarafagg* peste feccia* subuman* selvagg* spazzatura piaga
animal* parásit* parasit* bestia* ratas cucaracha* plaga* escoria* subhuman* salvaje* basura
zwierz* pasożyt* pasozyt* robactw* szczur* karaluch* zaraz* plaga* podludz* dzikus* ścierw* scierw* bydło* bydlo* śmieci* smieci*
tier* tiere ungeziefer* parasit* ratten kakerlak* pest seuche* plage* untermensch* wilde* abschaum* dreck* gesindel*
animau* animal* vermine* parasite* rats cafard* peste fléau* fleau* sous-hommes racaille* sauvage* ordure*
animal* animais verme* parasit* ratos barata* praga* escória* escoria* sub-humano* selvage* lixo
";

/// Positive words.
const POSITIVE: &str = "
love* great good excellent amazing awesome fantastic perfect best thank* happy glad wonderful brilliant recommend* nice beautiful superb
amo adoro grazie ottim* bellissim* perfett* fantastic* meravigli* fenomenal* consiglio* felic* contento contenta top brav* stupend* eccellent*
encanta* gracias excelente* genial perfect* maravill* fantástic* fantastic* recomiend* feliz buenísim* buenisim* increíble increible mejor* guapísim*
dzięk* dziek* super świetn* swietn* wspaniał* wspanial* doskonał* doskonal* polecam* kocham* najlepsz* idealn* rewelac* cudown* szczęśl* szczesl* fajn*
danke* super toll* klasse perfekt* wunderbar* großartig* grossartig* empfehl* liebe* beste* glücklich* gluecklich* spitze genial* hervorragend*
merci génial genial parfait* excellent* super magnifique* adore* meilleur* heureu* recommande* bravo
obrigad* ótim* otim* perfeit* maravilh* excelente* adoro amo melhor* feliz recomendo* incrível incrivel lind*
";

/// Negative words.
const NEGATIVE: &str = "
hate* terrible awful horrible worst bad disappoint* broken useless angry annoy* never refund* scam* ridiculous unacceptable fail* poor
odio terribil* orribil* pessim* delus* rott* inutil* vergogn* schifo* arrabbiat* mai rimbors* truff* ridicol* inaccettabil* disastr*
odio terribl* horribl* peor* pésim* pesim* decepcion* roto rota inútil* inutil* vergüenza verguenza enfad* nunca reembols* estafa* ridícul* ridicul* inaceptabl* desastr*
nienawidz* okropn* fataln* najgorsz* beznadziej* rozczarow* zepsut* bezużyt* bezuzyt* wściek* wsciek* nigdy zwrot* oszust* żenuj* zenuj* skandal* porażk* porazk* tragedi* tragiczn*
hasse* schrecklich* furchtbar* schlimm* schlecht* schlechteste* enttäusch* enttaeusch* kaputt* nutzlos* wütend* wuetend* ärger* aerger* nie niemals erstattung* betrug* lächerlich* laecherlich* inakzeptabel* katastroph* frechheit* unverschämt* unverschaemt*
déteste* deteste* horrible* affreu* pire nul nulle déçu* decu* cassé* casse* inutile* colère* colere* jamais rembourse* arnaque* ridicule* inacceptable* honte
odeio péssim* pessim* horrível* horrivel* terrível* terrivel* pior decepcion* quebrad* inútil* inutil* raiva nunca reembols* golpe* ridícul* ridicul* inaceitável* vergonha*
";

/// Category: delivery / logistics.
const CAT_DELIVERY: &str = "
delivery deliver* delivered parcel* package* courier* tracking shipment* shipping shipped arrive* arrived late delay* driver* warehouse* depot dispatch* luggage suitcase baggage
consegn* pacco pacchi corrier* spedizion* spedit* tracking arrivat* ritard* rider magazzino deposito valigia bagaglio
entreg* paquete* envío envio* repartidor* mensajer* seguimiento llegad* llegó retras* almacén almacen* maleta* equipaje
dostaw* dostarcz* paczk* paczkomat* kurier* przesyłk* przesylk* śledzeni* sledzeni* doręcz* dorecz* opóźni* opozni* magazyn* walizk* bagaż* bagaz*
lieferung* geliefert liefer* paket* pakete zustell* sendung* versand* kurier* fahrer* lager verspät* verspaet* koffer* gepäck* gepaeck* packstation*
";

/// Category: product defect / safety.
const CAT_PRODUCT: &str = "
broken defect* faulty sparks* spark* burn* burnt melted fire dangerous unsafe safety recall* glass cracked snapped allergy allergic rash overheat* leak* quality
rott* difett* guast* scintill* ustion* bruciat* sciolt* pericolos* sicurezza vetro crepat* allergi* irritazion* surriscald* qualità qualita
rot* defectu* averiad* chispa* quemad* quem* derriti* peligros* seguridad cristal rajad* alergi* sarpullido sobrecalient* calidad
zepsut* wadliw* uszkodz* iskrz* poparz* spalon* stopił* stopil* niebezpieczn* bezpieczeństw* bezpieczenstw* szkła szkla szkło szklo pęknię* peknie* alergi* wysypk* przegrzew* jakość jakosc
kaputt defekt* funken verbrannt* verbrenn* geschmolzen gefährlich* gefaehrlich* sicherheit* glassplitter* gerissen* abgebrochen allergi* ausschlag überhitz* ueberhitz* qualität* qualitaet*
";

/// Category: customer service conduct.
const CAT_SERVICE: &str = "
rude agent* staff support hold hung manager* employee* assistant* operator* chatbot ignored unhelpful callback shouted yelled laughed attitude
maleducat* operator* personale assistenza attesa responsabile dipendent* chatbot ignorat* richiamat* urlat* scortes*
grosero* grosera* agente* personal soporte atención atencion espera encargad* empleado* chatbot ignor* gritó grito* borde*
niegrzeczn* konsultant* obsług* obslug* infolini* kierownik* pracowni* czatbot zignorow* nawrzeszcz* chamsk* oddzwoni*
unhöflich* unhoeflich* mitarbeiter* personal kundendienst* kundenservice* warteschleife* filialleiter* chatbot ignorier* angeschrien* rückruf* rueckruf* frech*
";

/// Category: billing / pricing.
const CAT_BILLING: &str = "
charge* charged bill billed billing invoice* refund* price* pricing fee fees overcharg* subscription* payment* paid discount* coupon code expensive cost*
addebit* bollett* fattur* rimbors* prezz* commission* abbonament* pagament* pagat* sconto costo costos* tariff*
cobr* factur* reembols* precio* comisión comision* suscripción suscripcion* pago* pagado descuento* cuota* tarifa* caro
opłat* oplat* rachun* faktur* zwrot* cen* prowizj* subskrypc* abonament* płatnoś* platnos* zapłac* zaplac* rabat* drogo zniżk* znizk*
abgebucht* abbuch* rechnung* gebühr* gebuehr* erstatt* preis* abo kosten bezahl* rabatt* tarif* teuer* berechnet*
";

/// Category: data / privacy / security.
const CAT_PRIVACY: &str = "
privacy data breach leak* leaked hacked hack* password* account* scam* fraud* phishing spam* gdpr tracking personal identity stolen
privacy dati violazion* hacker* password account* truff* frode* spam* gdpr personali identità identita rubat*
privacidad datos brecha filtr* hacke* contraseña* cuenta* estafa* fraude* spam* rgpd personales identidad robad*
prywatnoś* prywatnos* dane danych wyciek* zhakow* hasł* hasl* konto oszust* spam* rodo osobow* tożsamoś* tozsamos* skradzi*
datenschutz* daten datenleck* leak* gehackt* passwort* konto betrug* betrüger* betrueger* spam* dsgvo persönlich* persoenlich* identität* gestohlen*
";

/// Category: outage / technical.
const CAT_OUTAGE: &str = "
down outage* error* crash* crashes app website site login offline signal network internet wifi bug* update glitch* sync* server* loading
giù disservizi* errore* crash app sito login segnale rete internet bug aggiornament* sincronizz* server caricament*
caído caido caída caida error* app web sesión sesion señal senal red internet fallo* actualización actualizacion* sincroniz* servidor*
awari* błąd* blad* aplikacj* stron* logowani* zasięg* zasieg* sieć siec internet zawiesza* aktualizacj* synchroniz* serwer*
störung* stoerung* ausfall* fehler* absturz* abgestürzt* app webseite website login netz internet wlan bug* update synchronis* server*
";

/// Category: offensive content / campaign.
const CAT_CAMPAIGN: &str = "
ad advert* advertising campaign* commercial billboard* boycott* influencer* sponsor* racist* sexist* homophob* offensive tasteless promo*
pubblicità pubblicita campagna* cartellon* boicott* influencer* sponsorizz* razzist* sessist* omofob* offensiv* promozional*
anuncio* publicidad campaña* campana* valla boicot* influencer* patrocin* racist* sexist* homófob* homofob* ofensiv* promocional*
reklam* kampani* billboard* bojkot* influencer* sponsor* rasistow* seksistow* homofobicz* obraźliw* obrazliw*
werbung* werbe* kampagne* plakat* boykott* influencer* sponsor* rassist* sexist* homophob* geschmacklos* anstößig* anstoessig*
";

/// Intent: question words.
const INT_QUESTION: &str = "
how when where what which who why can could does do is are anyone
come quando dove cosa quale chi perché perche posso potete avete
cómo como cuándo cuando dónde donde qué cuál quién puedo podéis podeis tenéis teneis
jak kiedy gdzie czy który ktory jaki jaka mogę moge macie
wie wann wo was welche welcher warum kann könnt koennt gibt habt
";

/// Intent: suggestion words.
const INT_SUGGESTION: &str = "
would should could suggest* suggestion please add consider wish idea feature option allow let
sarebbe dovreste potreste suggeri* aggiungete aggiungere valutate proposta idea funzione opzione permettete
sería seria estaría estaria deberíais deberiais podríais podriais sugier* añadid anadid añadir plantead idea función opción dejad permitid
przydał* przydal* powinniście powinniscie moglibyście dodajcie dodać dodac rozważcie rozwazcie pomysł pomysl funkcj* opcj* pozwólcie pozwolcie
wäre waere würde wuerde solltet könntet koenntet vorschlag* hinzufügen hinzufuegen bietet idee funktion* option* lasst ermöglicht
";

/// Intent: praise / thanks words.
const INT_PRAISE: &str = "
thanks thank thx kudos shoutout love loved amazing great awesome brilliant excellent best perfect legend* recommend* appreciated
grazie complimenti adoro fantastic* ottim* eccellent* migliore perfett* consiglia* apprezzat* brav*
gracias enhorabuena encanta* genial excelente mejor perfect* recomend* cracks increíble increible
dzięki dzieki dziękuję dziekuje pochwał* pochwal* uwielbiam świetn* swietn* najlepsz* idealn* polecam doceniam sztos
danke lob liebe großartig* grossartig* genial beste perfekt* empfehl* hervorragend* spitze klasse
";

/// Compiled lexicons.
#[derive(Debug, Clone)]
pub struct Lexicons {
    exact: FastMap<String, Vec<Cue>>,
    stems: FastMap<String, Vec<Cue>>,
    min_stem: usize,
    max_stem: usize,
}

impl Lexicons {
    /// The project's built-in lexicons.
    pub fn builtin() -> Lexicons {
        let mut lex = Lexicons {
            exact: FastMap::default(),
            stems: FastMap::default(),
            min_stem: usize::MAX,
            max_stem: 0,
        };
        for (list, cue) in [
            (INSULT, Cue::LexInsult),
            (THREAT, Cue::LexThreat),
            (IDENTITY, Cue::LexIdentity),
            (DEHUMAN, Cue::LexDehuman),
            (POSITIVE, Cue::LexPositive),
            (NEGATIVE, Cue::LexNegative),
            (CAT_DELIVERY, Cue::CatDelivery),
            (CAT_PRODUCT, Cue::CatProduct),
            (CAT_SERVICE, Cue::CatService),
            (CAT_BILLING, Cue::CatBilling),
            (CAT_PRIVACY, Cue::CatPrivacy),
            (CAT_OUTAGE, Cue::CatOutage),
            (CAT_CAMPAIGN, Cue::CatCampaign),
            (INT_QUESTION, Cue::IntQuestion),
            (INT_SUGGESTION, Cue::IntSuggestion),
            (INT_PRAISE, Cue::IntPraise),
        ] {
            for entry in list.split_whitespace() {
                let entry = entry.to_lowercase();
                if let Some(stem) = entry.strip_suffix('*') {
                    let n = stem.chars().count();
                    if n < 4 {
                        continue;
                    }
                    lex.min_stem = lex.min_stem.min(n);
                    lex.max_stem = lex.max_stem.max(n);
                    let v = lex.stems.entry(stem.to_string()).or_default();
                    if !v.contains(&cue) {
                        v.push(cue);
                    }
                } else {
                    let v = lex.exact.entry(entry).or_default();
                    if !v.contains(&cue) {
                        v.push(cue);
                    }
                }
            }
        }
        lex
    }

    /// Lexicon classes of a lower-cased word (exact match, plus the longest stem).
    pub fn lookup(&self, word: &str) -> Option<Vec<Cue>> {
        let mut out = Vec::new();
        self.lookup_each(word, |c| out.push(c));
        if out.is_empty() {
            None
        } else {
            Some(out)
        }
    }

    /// Call `f` once per lexicon class of a lower-cased word (no allocation).
    pub fn lookup_each(&self, word: &str, mut f: impl FnMut(Cue)) {
        let mut seen: [Option<Cue>; 8] = [None; 8];
        let mut ns = 0usize;
        let mut emit = |c: Cue, f: &mut dyn FnMut(Cue)| {
            if seen[..ns].contains(&Some(c)) {
                return;
            }
            if ns < seen.len() {
                seen[ns] = Some(c);
                ns += 1;
            }
            f(c);
        };
        if let Some(v) = self.exact.get(word) {
            for &c in v {
                emit(c, &mut f);
            }
        }
        if self.max_stem == 0 {
            return;
        }
        // idx[n] = byte offset just after the first n characters.
        let mut idx = [0usize; 48];
        let mut nchars = 0usize;
        for (i, c) in word.char_indices() {
            if nchars >= self.max_stem || nchars + 1 >= idx.len() {
                break;
            }
            nchars += 1;
            idx[nchars] = i + c.len_utf8();
        }
        let mut n = nchars;
        while n >= self.min_stem && n > 0 {
            if let Some(v) = self.stems.get(&word[..idx[n]]) {
                for &c in v {
                    emit(c, &mut f);
                }
                break;
            }
            n -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_exact() {
        let l = Lexicons::builtin();
        assert!(l
            .lookup("idioti")
            .is_some_and(|v| v.contains(&Cue::LexInsult)));
        assert!(l
            .lookup("ammazzo")
            .is_some_and(|v| v.contains(&Cue::LexThreat)));
        assert!(l
            .lookup("musulmani")
            .is_some_and(|v| v.contains(&Cue::LexIdentity)));
        assert!(l.lookup("tavolo").is_none());
        assert!(l.lookup("a").is_none());
    }
}
