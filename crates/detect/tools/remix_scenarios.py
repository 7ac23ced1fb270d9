#!/usr/bin/env python3
"""Remixes the crisis scenarios into crises of kinds the dev set does not have (outage, data
breach, offensive campaign, billing), in the scenario's own language: each crisis message with text
is rewritten from project-written templates (one per original template, numbers kept), the
defenders' replies, reshares, timing, threads, multipliers and background stay as they were.
A check that the detector pages on the phenomenon (linked complaints, amplification), not on
the dev set's words. Standard library only; deterministic.

    python3 crates/detect/tools/remix_scenarios.py ../shared/data/crisis-scenarios /tmp/remix
    cargo run --release -p firebreak -- eval scenarios /tmp/remix
"""
import json,re,random,os,sys
D=sys.argv[1].rstrip('/')+'/' if len(sys.argv)>1 else '../shared/data/crisis-scenarios/'
OUT=(sys.argv[2].rstrip('/')+'/') if len(sys.argv)>2 else '/tmp/remix/'
os.makedirs(OUT, exist_ok=True)
T={
 ('outage','fr'):("{b} tout votre site est en panne, quelqu'un s'en occupe ?",[
   "{b} l'application ne marche plus depuis ce matin, rien ne charge",
   "{b} impossible de me connecter, erreur 503 à chaque fois. Réparez ça",
   "Pareil pour moi, {b} le site est en panne et je ne peux pas payer",
   "{b} {n} heures sans service et pas un mot de votre part",
   "{b} votre serveur est mort ? le paiement échoue avec une erreur"],["site","panne","application","erreur","connecter","serveur","paiement","service"]),
 ('data_breach','pt'):("{b} vocês vazaram os dados pessoais dos clientes",[
   "{b} acabei de receber um email dizendo que meus dados vazaram. O que aconteceu?",
   "{b} alguém usou meu cartão depois do vazamento de dados de vocês. Inaceitável",
   "Eu também, {b} minha senha estava no vazamento, {n} contas hackeadas",
   "{b} por que vocês guardavam nossas senhas sem criptografia?"],["dados","vazamento","vazaram","senha","senhas","cartão","hackeadas","criptografia"]),
 ('outage','en'):("{b} your whole website is down, is anyone working on it?",[
   "{b} the app has been down all morning, nothing loads",
   "{b} can't log in, error 503 every time. Fix it",
   "Same here, {b} site is down and I can't pay my bill",
   "{b} {n} hours without service and not a word from you",
   "{b} is your server dead? checkout fails with an error"],["down","error","log","site","app","service","server","checkout"]),
 ('outage','it'):("{b} tutto il sito è fuori servizio, qualcuno ci sta lavorando?",[
   "{b} l'app è down da stamattina, non carica niente",
   "{b} impossibile accedere, errore 503 ogni volta. Sistemate",
   "Anche a me, {b} il sito non funziona e non riesco a pagare",
   "{b} {n} ore senza servizio e nessuna comunicazione",
   "{b} il server è morto? il pagamento fallisce con un errore"],["sito","servizio","app","errore","accedere","server","pagamento","down"]),
 ('data_breach','es'):("{b} habéis filtrado los datos personales de vuestros clientes",[
   "{b} me acaba de llegar un correo diciendo que mis datos se filtraron. ¿Qué ha pasado?",
   "{b} alguien usó mi tarjeta después de vuestra filtración de datos. Inaceptable",
   "Yo también, {b} mi contraseña estaba en la filtración, {n} cuentas hackeadas",
   "{b} ¿por qué guardabais nuestras contraseñas sin cifrar?"],["datos","filtración","filtrado","contraseña","contraseñas","tarjeta","hackeadas","cifrar"]),
 ('data_breach','de'):("{b} ihr habt die persönlichen Daten eurer Kunden geleakt",[
   "{b} ich habe gerade eine Mail bekommen, dass meine Daten geleakt wurden. Was ist passiert?",
   "{b} jemand hat nach eurem Datenleck meine Karte benutzt. Inakzeptabel",
   "Bei mir auch, {b} mein Passwort war im Leak, {n} Konten gehackt",
   "{b} warum habt ihr unsere Passwörter unverschlüsselt gespeichert?"],["daten","geleakt","datenleck","passwort","passwörter","leak","gehackt","karte"]),
 ('offensive_campaign','pl'):("{b} wasza nowa kampania jest obraźliwa i rasistowska",[
   "{b} ta nowa reklama jest rasistowska, usuńcie ją",
   "{b} kto zatwierdził tę seksistowską kampanię? Obrzydliwe",
   "Też to widzę, {b} wasz billboard obraża kobiety, bojkot",
   "{b} reklama wyśmiewa niepełnosprawnych. Wstyd"],["kampania","kampanię","reklama","rasistowska","seksistowską","billboard","bojkot","obraża"]),
 ('offensive_campaign','en'):("{b} your new campaign is offensive and racist",[
   "{b} this new ad is racist, take it down",
   "{b} who approved this sexist campaign? Disgusting",
   "Same here, {b} your billboard insults women, boycott",
   "{b} the ad mocks disabled people. Shameful"],["ad","campaign","racist","sexist","billboard","boycott","insults","offensive"]),
 ('billing','de'):("{b} ihr habt allen Kunden diesen Monat doppelt abgebucht",[
   "{b} mir wurde die Rechnung zweimal abgebucht, {n} Euro zu viel. Wann bekomme ich das Geld zurück?",
   "{b} Preiserhöhung ohne jede Ankündigung, das ist unseriös",
   "Bei mir auch, {b} doppelte Abbuchung und mein Konto ist jetzt im Minus",
   "{b} warum ist meine Rechnung plötzlich {n} Euro teurer? Ich kündige"],["abgebucht","abbuchung","rechnung","doppelt","preiserhöhung","euro","teurer","konto"]),
 ('billing','it'):("{b} avete addebitato due volte l'abbonamento a tutti i clienti",[
   "{b} mi avete addebitato la bolletta due volte, {n} euro in più. Quando mi rimborsate?",
   "{b} aumento di prezzo senza nessun preavviso, vergognoso",
   "Anche a me, {b} doppio addebito e adesso il conto è in rosso",
   "{b} perché la mia fattura è aumentata di {n} euro? Disdico tutto"],["addebitato","addebito","bolletta","fattura","rimborsate","aumento","prezzo","euro"]),
 ('billing','pl'):("{b} pobraliście od wszystkich klientów podwójną opłatę",[
   "{b} pobraliście opłatę za fakturę dwa razy, {n} zł za dużo. Kiedy zwrot?",
   "{b} podwyżka cen bez żadnej zapowiedzi, to nieuczciwe",
   "U mnie też, {b} podwójne obciążenie karty i teraz mam debet",
   "{b} dlaczego moja faktura jest nagle droższa o {n} zł? Rezygnuję"],["opłatę","faktura","fakturę","podwójne","podwójną","podwyżka","zwrot","obciążenie"]),
 ('billing','es'):("{b} habéis cobrado dos veces la cuota a todos los clientes",[
   "{b} me habéis cobrado la factura dos veces, {n} euros de más. ¿Cuándo me los devolvéis?",
   "{b} subida de precio sin ningún aviso, es una vergüenza",
   "A mí también, {b} doble cargo y ahora tengo la cuenta en negativo",
   "{b} ¿por qué mi factura es de repente {n} euros más cara? Me doy de baja"],["cobrado","factura","cargo","doble","subida","precio","euros","cuota"]),
}
DEF=["always had","sempre trovata","siempre he tenido","immer gute","zawsze miałam","toujours","sempre tive"]
def remix(base,kind,lang,name):
    lab=json.load(open(D+base+'.labels.json'))
    ids=lab['crisis_ids']; idset=set(ids)
    b=lab['channel']
    seed,tpls,kw=T[(kind,lang)]
    norm={}
    rnd=random.Random(name)
    out=[]
    for l in open(D+base+'.jsonl'):
        m=json.loads(l)
        if m['id'] in idset and m['text'].strip() and not any(d in m['text'] for d in DEF):
            if m['id']==ids[0]:
                m['text']=seed.format(b=b)
            else:
                key=re.sub(r'\d+','#',m['text'])
                if key not in norm: norm[key]=len(norm)%len(tpls)
                nums=re.findall(r'\d+',m['text'])
                m['text']=tpls[norm[key]].format(b=b,n=nums[0] if nums else rnd.randint(3,20))
        out.append(json.dumps(m,ensure_ascii=False))
    open(OUT+name+'.jsonl','w').write('\n'.join(out)+'\n')
    lab['kind']=kind; lab['keywords']=kw
    json.dump(lab,open(OUT+name+'.labels.json','w'),ensure_ascii=False)
for base,kind,lang in [('delivery_delay-en-15','outage','en'),('rude_service-en-25','outage','en'),('delivery_delay-it-11','outage','it'),
    ('defective_product-es-17','data_breach','es'),('rude_service-de-24','data_breach','de'),('delivery_delay-pl-13','offensive_campaign','pl'),
    ('defective_product-en-20','offensive_campaign','en'),('rude_service-it-21','outage','it'),('delivery_delay-es-12','data_breach','es'),('defective_product-de-19','data_breach','de'),('rude_service-pl-23','offensive_campaign','pl'),('defective_product-it-16','outage','it'),
    ('delivery_delay-en-15','outage','fr'),('rude_service-en-25','outage','fr'),('delivery_delay-es-12','data_breach','pt'),('defective_product-es-17','data_breach','pt'),
    ('delivery_delay-de-14','billing','de'),('rude_service-it-21','billing','it'),('defective_product-pl-18','billing','pl'),('rude_service-es-22','billing','es')]:
    remix(base,kind,lang,f'{kind}-{lang}-from-{base}')
print(len(os.listdir(OUT)))
