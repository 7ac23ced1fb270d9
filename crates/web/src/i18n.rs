//! The UI's words in English, Italian, Spanish, Polish and German. Each user picks theirs
//! (`ui_lang`); a missing key shows the key itself, and a test checks there is none.

/// The UI languages, in the order of [`TABLE`]'s columns.
pub const UI_LANGS: [&str; 5] = ["en", "it", "es", "pl", "de"];
/// Their names, in themselves.
pub const UI_LANG_NAMES: [&str; 5] = ["English", "Italiano", "Español", "Polski", "Deutsch"];

/// key, then en, it, es, pl, de.
const TABLE: &[(&str, [&str; 5])] = &[
    (
        "app_tagline",
        [
            "Social media crisis monitoring",
            "Monitoraggio delle crisi sui social",
            "Monitorización de crisis en redes sociales",
            "Monitorowanie kryzysów w mediach społecznościowych",
            "Krisenmonitoring für soziale Medien",
        ],
    ),
    (
        "nav_overview",
        ["Overview", "Panoramica", "Resumen", "Przegląd", "Übersicht"],
    ),
    (
        "nav_explorer",
        [
            "Mentions",
            "Menzioni",
            "Menciones",
            "Wzmianki",
            "Erwähnungen",
        ],
    ),
    (
        "nav_inbox",
        [
            "Inbox",
            "Posta in arrivo",
            "Bandeja",
            "Skrzynka",
            "Posteingang",
        ],
    ),
    (
        "nav_settings",
        [
            "Settings",
            "Impostazioni",
            "Ajustes",
            "Ustawienia",
            "Einstellungen",
        ],
    ),
    (
        "logout",
        ["Sign out", "Esci", "Cerrar sesión", "Wyloguj", "Abmelden"],
    ),
    (
        "login_title",
        [
            "Sign in",
            "Accedi",
            "Iniciar sesión",
            "Zaloguj się",
            "Anmelden",
        ],
    ),
    (
        "login_name",
        [
            "User name",
            "Nome utente",
            "Usuario",
            "Nazwa użytkownika",
            "Benutzername",
        ],
    ),
    (
        "login_password",
        ["Password", "Password", "Contraseña", "Hasło", "Passwort"],
    ),
    (
        "login_submit",
        ["Sign in", "Accedi", "Entrar", "Zaloguj", "Anmelden"],
    ),
    (
        "login_failed",
        [
            "Wrong name or password.",
            "Nome o password errati.",
            "Usuario o contraseña incorrectos.",
            "Błędna nazwa lub hasło.",
            "Falscher Name oder falsches Passwort.",
        ],
    ),
    (
        "login_limited",
        [
            "Too many failed sign-ins: wait 15 minutes and try again.",
            "Troppi tentativi falliti: attendi 15 minuti e riprova.",
            "Demasiados intentos fallidos: espera 15 minutos y vuelve a intentarlo.",
            "Zbyt wiele nieudanych prób: odczekaj 15 minut i spróbuj ponownie.",
            "Zu viele fehlgeschlagene Anmeldungen: warte 15 Minuten und versuche es erneut.",
        ],
    ),
    (
        "login_stale",
        [
            "The form expired: please sign in again.",
            "Il modulo è scaduto: accedi di nuovo.",
            "El formulario caducó: vuelve a iniciar sesión.",
            "Formularz wygasł: zaloguj się ponownie.",
            "Das Formular ist abgelaufen: bitte erneut anmelden.",
        ],
    ),
    (
        "live",
        ["live", "in diretta", "en directo", "na żywo", "live"],
    ),
    ("channel", ["Channel", "Canale", "Canal", "Kanał", "Kanal"]),
    (
        "volume",
        [
            "Volume per hour",
            "Volume orario",
            "Volumen por hora",
            "Liczba na godzinę",
            "Volumen pro Stunde",
        ],
    ),
    (
        "negative_share",
        [
            "Negative share",
            "Quota negativa",
            "Proporción negativa",
            "Udział negatywnych",
            "Negativanteil",
        ],
    ),
    (
        "sentiment_by_lang",
        [
            "Sentiment by language",
            "Sentiment per lingua",
            "Sentimiento por idioma",
            "Wydźwięk według języka",
            "Stimmung nach Sprache",
        ],
    ),
    (
        "response_times",
        [
            "Response times",
            "Tempi di risposta",
            "Tiempos de respuesta",
            "Czasy odpowiedzi",
            "Antwortzeiten",
        ],
    ),
    (
        "last_24h",
        [
            "last 24 hours of activity",
            "ultime 24 ore di attività",
            "últimas 24 horas de actividad",
            "ostatnie 24 godziny aktywności",
            "letzte 24 Stunden Aktivität",
        ],
    ),
    (
        "mentions",
        [
            "mentions",
            "menzioni",
            "menciones",
            "wzmianek",
            "Erwähnungen",
        ],
    ),
    (
        "alerts",
        [
            "Active alerts",
            "Allerte attive",
            "Alertas activas",
            "Aktywne alerty",
            "Aktive Warnungen",
        ],
    ),
    ("crises", ["Crises", "Crisi", "Crisis", "Kryzysy", "Krisen"]),
    (
        "post_via_connector",
        [
            "Post it on the platform (otherwise: I posted it by hand)",
            "Pubblicalo sulla piattaforma (altrimenti: l'ho pubblicato a mano)",
            "Publicarlo en la plataforma (si no: lo publiqué a mano)",
            "Opublikuj na platformie (w przeciwnym razie: opublikowano ręcznie)",
            "Auf der Plattform veröffentlichen (sonst: von Hand veröffentlicht)",
        ],
    ),
    (
        "notify_targets",
        [
            "Notification targets",
            "Destinazioni delle notifiche",
            "Destinos de las notificaciones",
            "Cele powiadomień",
            "Benachrichtigungsziele",
        ],
    ),
    (
        "connectors",
        [
            "Connectors",
            "Connettori",
            "Conectores",
            "Konektory",
            "Konnektoren",
        ],
    ),
    (
        "delivered",
        [
            "delivered",
            "consegnati",
            "entregados",
            "dostarczone",
            "geliefert",
        ],
    ),
    (
        "no_alerts",
        [
            "No alerts yet.",
            "Nessuna allerta finora.",
            "Ninguna alerta por ahora.",
            "Brak alertów.",
            "Noch keine Warnungen.",
        ],
    ),
    (
        "no_crises",
        [
            "No open case is linked to a crisis.",
            "Nessun caso aperto è collegato a una crisi.",
            "Ningún caso abierto está vinculado a una crisis.",
            "Żadna otwarta sprawa nie jest powiązana z kryzysem.",
            "Kein offener Fall gehört zu einer Krise.",
        ],
    ),
    ("crisis", ["crisis", "crisi", "crisis", "kryzys", "Krise"]),
    (
        "unanswered",
        [
            "Unanswered negatives",
            "Negativi senza risposta",
            "Negativos sin respuesta",
            "Negatywne bez odpowiedzi",
            "Unbeantwortete negative",
        ],
    ),
    (
        "sla_breaches",
        [
            "SLA breaches",
            "SLA violati",
            "Incumplimientos de SLA",
            "Naruszenia SLA",
            "SLA-Verstöße",
        ],
    ),
    ("none", ["None.", "Nessuno.", "Ninguno.", "Brak.", "Keine."]),
    (
        "no_data",
        [
            "No mentions yet.",
            "Ancora nessuna menzione.",
            "Aún no hay menciones.",
            "Brak wzmianek.",
            "Noch keine Erwähnungen.",
        ],
    ),
    ("search", ["Search", "Cerca", "Buscar", "Szukaj", "Suchen"]),
    (
        "search_text",
        [
            "Text contains",
            "Il testo contiene",
            "El texto contiene",
            "Tekst zawiera",
            "Text enthält",
        ],
    ),
    (
        "language",
        ["Language", "Lingua", "Idioma", "Język", "Sprache"],
    ),
    (
        "sentiment",
        [
            "Sentiment",
            "Sentiment",
            "Sentimiento",
            "Wydźwięk",
            "Stimmung",
        ],
    ),
    (
        "intent",
        ["Intent", "Intento", "Intención", "Intencja", "Absicht"],
    ),
    (
        "category",
        [
            "Category",
            "Categoria",
            "Categoría",
            "Kategoria",
            "Kategorie",
        ],
    ),
    ("since", ["From", "Da", "Desde", "Od", "Von"]),
    ("until", ["To", "A", "Hasta", "Do", "Bis"]),
    ("any", ["any", "tutti", "todos", "dowolny", "alle"]),
    ("time", ["Time", "Ora", "Hora", "Czas", "Zeit"]),
    ("author", ["Author", "Autore", "Autor", "Autor", "Autor"]),
    ("text", ["Text", "Testo", "Texto", "Treść", "Text"]),
    (
        "followers",
        [
            "followers",
            "follower",
            "seguidores",
            "obserwujących",
            "Follower",
        ],
    ),
    (
        "next_page",
        ["Older", "Più vecchie", "Anteriores", "Starsze", "Ältere"],
    ),
    (
        "author_panel",
        [
            "Author history",
            "Storia dell'autore",
            "Historial del autor",
            "Historia autora",
            "Verlauf des Autors",
        ],
    ),
    (
        "no_results",
        [
            "Nothing matches.",
            "Nessun risultato.",
            "Sin resultados.",
            "Brak wyników.",
            "Keine Treffer.",
        ],
    ),
    (
        "queue",
        [
            "Queue by priority",
            "Coda per priorità",
            "Cola por prioridad",
            "Kolejka według priorytetu",
            "Warteschlange nach Priorität",
        ],
    ),
    (
        "priority",
        [
            "Priority",
            "Priorità",
            "Prioridad",
            "Priorytet",
            "Priorität",
        ],
    ),
    ("status", ["Status", "Stato", "Estado", "Status", "Status"]),
    (
        "due",
        ["Due in", "Scade tra", "Vence en", "Termin za", "Fällig in"],
    ),
    (
        "overdue",
        ["overdue", "scaduto", "vencido", "po terminie", "überfällig"],
    ),
    (
        "assignee",
        [
            "Assignee",
            "Assegnato a",
            "Asignado a",
            "Przypisano",
            "Zuständig",
        ],
    ),
    (
        "open_cases",
        [
            "open cases",
            "casi aperti",
            "casos abiertos",
            "otwartych spraw",
            "offene Fälle",
        ],
    ),
    (
        "inbox_off",
        [
            "The inbox is off: set [inbox] enabled = true and [analysis] enabled = true.",
            "La posta è disattivata: imposta [inbox] enabled = true e [analysis] enabled = true.",
            "La bandeja está desactivada: pon [inbox] enabled = true y [analysis] enabled = true.",
            "Skrzynka jest wyłączona: ustaw [inbox] enabled = true i [analysis] enabled = true.",
            "Der Posteingang ist aus: setze [inbox] enabled = true und [analysis] enabled = true.",
        ],
    ),
    ("case", ["Case", "Caso", "Caso", "Sprawa", "Fall"]),
    (
        "thread",
        [
            "Thread",
            "Conversazione",
            "Conversación",
            "Wątek",
            "Unterhaltung",
        ],
    ),
    (
        "in_reply_to",
        [
            "in reply to",
            "in risposta a",
            "en respuesta a",
            "w odpowiedzi na",
            "als Antwort auf",
        ],
    ),
    (
        "timeline",
        [
            "Timeline",
            "Cronologia",
            "Cronología",
            "Oś czasu",
            "Verlauf",
        ],
    ),
    (
        "replies",
        [
            "Replies",
            "Risposte",
            "Respuestas",
            "Odpowiedzi",
            "Antworten",
        ],
    ),
    (
        "composer",
        ["Reply", "Rispondi", "Responder", "Odpowiedz", "Antworten"],
    ),
    (
        "template",
        ["Template", "Modello", "Plantilla", "Szablon", "Vorlage"],
    ),
    (
        "insert",
        ["Insert", "Inserisci", "Insertar", "Wstaw", "Einfügen"],
    ),
    (
        "private_channel",
        [
            "Channel of the reply",
            "Canale della risposta",
            "Canal de la respuesta",
            "Kanał odpowiedzi",
            "Kanal der Antwort",
        ],
    ),
    (
        "public",
        [
            "public, on the thread",
            "pubblica, nella conversazione",
            "pública, en la conversación",
            "publicznie, w wątku",
            "öffentlich, in der Unterhaltung",
        ],
    ),
    (
        "at_fault",
        [
            "We are at fault (an apology is required)",
            "È colpa nostra (servono le scuse)",
            "Es culpa nuestra (hace falta disculparse)",
            "To nasza wina (wymagane przeprosiny)",
            "Wir sind schuld (Entschuldigung nötig)",
        ],
    ),
    (
        "send",
        [
            "Send reply",
            "Invia risposta",
            "Enviar respuesta",
            "Wyślij odpowiedź",
            "Antwort senden",
        ],
    ),
    (
        "linter",
        ["Linter", "Controllo", "Revisión", "Kontrola", "Prüfung"],
    ),
    (
        "lint_clean",
        [
            "No findings.",
            "Nessun problema.",
            "Sin observaciones.",
            "Brak uwag.",
            "Keine Befunde.",
        ],
    ),
    (
        "actions",
        ["Actions", "Azioni", "Acciones", "Działania", "Aktionen"],
    ),
    (
        "acknowledge",
        [
            "Acknowledge",
            "Prendi in carico",
            "Confirmar",
            "Potwierdź",
            "Bestätigen",
        ],
    ),
    (
        "start",
        ["Start", "Inizia", "Empezar", "Rozpocznij", "Beginnen"],
    ),
    (
        "resolve",
        ["Resolve", "Risolvi", "Resolver", "Rozwiąż", "Lösen"],
    ),
    (
        "close",
        ["Close", "Chiudi", "Cerrar", "Zamknij", "Schließen"],
    ),
    (
        "move_private",
        [
            "Move to private",
            "Sposta in privato",
            "Pasar a privado",
            "Przenieś do prywatnych",
            "Privat weiterführen",
        ],
    ),
    (
        "follow_up",
        [
            "Log a follow-up contact",
            "Registra un contatto di follow-up",
            "Registrar un contacto de seguimiento",
            "Zapisz kontakt uzupełniający",
            "Nachfass-Kontakt erfassen",
        ],
    ),
    (
        "note",
        [
            "Add a note",
            "Aggiungi una nota",
            "Añadir una nota",
            "Dodaj notatkę",
            "Notiz hinzufügen",
        ],
    ),
    ("do", ["Do it", "Esegui", "Hacer", "Wykonaj", "Ausführen"]),
    (
        "done",
        ["Done.", "Fatto.", "Hecho.", "Gotowe.", "Erledigt."],
    ),
    (
        "settings_me",
        [
            "Your settings",
            "Le tue impostazioni",
            "Tus ajustes",
            "Twoje ustawienia",
            "Deine Einstellungen",
        ],
    ),
    (
        "ui_lang",
        [
            "Language of the interface",
            "Lingua dell'interfaccia",
            "Idioma de la interfaz",
            "Język interfejsu",
            "Sprache der Oberfläche",
        ],
    ),
    ("save", ["Save", "Salva", "Guardar", "Zapisz", "Speichern"]),
    (
        "edit_plan",
        [
            "Edit the plan",
            "Modifica il piano",
            "Editar el plan",
            "Edytuj plan",
            "Plan bearbeiten",
        ],
    ),
    (
        "plan_version",
        ["version", "versione", "versión", "wersja", "Version"],
    ),
    (
        "plan_saved",
        [
            "Saved and in force: version",
            "Salvato e in vigore: versione",
            "Guardado y en vigor: versión",
            "Zapisano i obowiązuje: wersja",
            "Gespeichert und in Kraft: Version",
        ],
    ),
    (
        "plan_problems",
        [
            "The plan was not saved: fix these problems",
            "Il piano non è stato salvato: correggi questi problemi",
            "El plan no se ha guardado: corrige estos problemas",
            "Plan nie został zapisany: popraw te błędy",
            "Der Plan wurde nicht gespeichert: behebe diese Probleme",
        ],
    ),
    (
        "plan_conflict",
        [
            "Not saved: someone saved the plan meanwhile, reload it and apply your change again. Newest version:",
            "Non salvato: qualcuno ha salvato il piano nel frattempo, ricaricalo e riapplica la modifica. Versione più recente:",
            "No guardado: alguien guardó el plan entretanto, recárgalo y vuelve a aplicar tu cambio. Versión más reciente:",
            "Nie zapisano: ktoś w międzyczasie zapisał plan, wczytaj go ponownie i wprowadź zmianę jeszcze raz. Najnowsza wersja:",
            "Nicht gespeichert: jemand hat den Plan inzwischen gespeichert, lade ihn neu und wiederhole deine Änderung. Neueste Version:",
        ],
    ),
    (
        "plan_note",
        [
            "What changed",
            "Cosa è cambiato",
            "Qué ha cambiado",
            "Co się zmieniło",
            "Was sich geändert hat",
        ],
    ),
    (
        "plan_history",
        [
            "Saved versions",
            "Versioni salvate",
            "Versiones guardadas",
            "Zapisane wersje",
            "Gespeicherte Versionen",
        ],
    ),
    ("line", ["Line", "Riga", "Línea", "Wiersz", "Zeile"]),
    ("fix", ["Fix", "Correzione", "Solución", "Poprawka", "Behebung"]),
    (
        "first_alert",
        [
            "First alert",
            "Primo allarme",
            "Primera alerta",
            "Pierwszy alarm",
            "Erster Alarm",
        ],
    ),
    (
        "paged_again",
        [
            "Paged again at",
            "Nuovo avviso alle",
            "Nuevo aviso a las",
            "Ponowne powiadomienie o",
            "Erneute Alarmierung um",
        ],
    ),
    (
        "nav_crises",
        ["Crises", "Crisi", "Crisis", "Kryzysy", "Krisen"],
    ),
    (
        "nav_plan",
        [
            "Crisis plan",
            "Piano di crisi",
            "Plan de crisis",
            "Plan kryzysowy",
            "Krisenplan",
        ],
    ),
    (
        "severity",
        ["Severity", "Gravità", "Gravedad", "Poziom", "Schweregrad"],
    ),
    (
        "opened",
        ["Opened", "Aperta", "Abierta", "Otwarty", "Eröffnet"],
    ),
    (
        "report",
        [
            "Post-mortem",
            "Post-mortem",
            "Post mortem",
            "Analiza po kryzysie",
            "Nachbetrachtung",
        ],
    ),
    (
        "paging",
        ["Paging", "Allerta", "Aviso", "Powiadamianie", "Alarmierung"],
    ),
    (
        "notified",
        [
            "Notified",
            "Avvisati",
            "Avisados",
            "Powiadomieni",
            "Benachrichtigt",
        ],
    ),
    (
        "advance",
        ["Move to", "Passa a", "Pasar a", "Przejdź do", "Wechseln zu"],
    ),
    (
        "checklist",
        [
            "Checklist",
            "Checklist",
            "Lista de tareas",
            "Lista kontrolna",
            "Checkliste",
        ],
    ),
    ("skip", ["Skip", "Salta", "Omitir", "Pomiń", "Überspringen"]),
    ("roles", ["Roles", "Ruoli", "Roles", "Role", "Rollen"]),
    (
        "assign",
        ["Assign", "Assegna", "Asignar", "Przypisz", "Zuweisen"],
    ),
    (
        "metrics",
        ["Metrics", "Metriche", "Métricas", "Wskaźniki", "Kennzahlen"],
    ),
    (
        "statements",
        [
            "Statements",
            "Comunicati",
            "Comunicados",
            "Oświadczenia",
            "Stellungnahmen",
        ],
    ),
    (
        "approved_by",
        [
            "approved by",
            "approvato da",
            "aprobado por",
            "zatwierdzone przez",
            "freigegeben von",
        ],
    ),
    (
        "approve",
        ["Approve", "Approva", "Aprobar", "Zatwierdź", "Freigeben"],
    ),
    (
        "publish",
        [
            "Publish",
            "Pubblica",
            "Publicar",
            "Opublikuj",
            "Veröffentlichen",
        ],
    ),
    (
        "draft_statement",
        [
            "Draft from the plan",
            "Bozza dal piano",
            "Borrador del plan",
            "Szkic z planu",
            "Entwurf aus dem Plan",
        ],
    ),
    (
        "lessons",
        [
            "Lessons learned",
            "Lezioni apprese",
            "Lecciones aprendidas",
            "Wnioski",
            "Lehren",
        ],
    ),
    (
        "action_items",
        [
            "Action items, one per line",
            "Azioni, una per riga",
            "Acciones, una por línea",
            "Działania, jedno w wierszu",
            "Maßnahmen, eine pro Zeile",
        ],
    ),
    (
        "people",
        ["People", "Persone", "Personas", "Osoby", "Personen"],
    ),
    (
        "escalation",
        [
            "Escalation",
            "Escalation",
            "Escalado",
            "Eskalacja",
            "Eskalation",
        ],
    ),
    (
        "do_not_promise",
        [
            "Never promise",
            "Da non promettere mai",
            "No prometer nunca",
            "Nigdy nie obiecuj",
            "Niemals versprechen",
        ],
    ),
    (
        "current_password",
        [
            "Current password",
            "Password attuale",
            "Contraseña actual",
            "Obecne hasło",
            "Aktuelles Passwort",
        ],
    ),
    (
        "confirm_password",
        [
            "New password, again",
            "Nuova password, di nuovo",
            "Nueva contraseña, otra vez",
            "Nowe hasło, ponownie",
            "Neues Passwort, noch einmal",
        ],
    ),
    (
        "change_password",
        [
            "Change my password",
            "Cambia la mia password",
            "Cambiar mi contraseña",
            "Zmień moje hasło",
            "Mein Passwort ändern",
        ],
    ),
    (
        "users",
        ["Users", "Utenti", "Usuarios", "Użytkownicy", "Benutzer"],
    ),
    (
        "notify_sent",
        ["Notified", "Notificato", "Notificado", "Powiadomiono", "Benachrichtigt"],
    ),
    (
        "notify_pending",
        [
            "Notification not confirmed yet",
            "Notifica non ancora confermata",
            "Notificación aún sin confirmar",
            "Powiadomienie jeszcze niepotwierdzone",
            "Benachrichtigung noch nicht bestätigt",
        ],
    ),
    (
        "notify_failed",
        [
            "Notification failed",
            "Notifica non riuscita",
            "Notificación fallida",
            "Powiadomienie nieudane",
            "Benachrichtigung fehlgeschlagen",
        ],
    ),
    (
        "api_tokens",
        ["API tokens", "Token API", "Tokens de API", "Tokeny API", "API-Tokens"],
    ),
    (
        "token_label",
        ["Used by", "Usato da", "Usado por", "Używany przez", "Verwendet von"],
    ),
    (
        "create_token",
        [
            "Create a token",
            "Crea un token",
            "Crear un token",
            "Utwórz token",
            "Token erstellen",
        ],
    ),
    (
        "token_shown_once",
        [
            "Copy this token now: it is shown only once. It acts with your role.",
            "Copia ora questo token: viene mostrato una sola volta. Agisce con il tuo ruolo.",
            "Copia este token ahora: solo se muestra una vez. Actúa con tu rol.",
            "Skopiuj ten token teraz: jest pokazywany tylko raz. Działa z Twoją rolą.",
            "Kopiere dieses Token jetzt: es wird nur einmal angezeigt. Es handelt mit deiner Rolle.",
        ],
    ),
    (
        "created",
        ["Created", "Creato", "Creado", "Utworzono", "Erstellt"],
    ),
    (
        "revoke",
        ["Revoke", "Revoca", "Revocar", "Unieważnij", "Widerrufen"],
    ),
    (
        "revoked",
        ["Revoked", "Revocato", "Revocado", "Unieważniony", "Widerrufen"],
    ),
    (
        "fill_in_gaps",
        [
            "Fill in the parts marked ✎ before this can be published",
            "Completa le parti segnate con ✎ prima di pubblicare",
            "Completa las partes marcadas con ✎ antes de publicar",
            "Uzupełnij części oznaczone ✎ przed publikacją",
            "Fülle die mit ✎ markierten Stellen aus, bevor veröffentlicht wird",
        ],
    ),
    (
        "edit_statement",
        ["Edit", "Modifica", "Editar", "Edytuj", "Bearbeiten"],
    ),
    (
        "save_statement",
        [
            "Save (approvals start again)",
            "Salva (le approvazioni ripartono)",
            "Guardar (las aprobaciones empiezan de nuevo)",
            "Zapisz (zatwierdzenia od nowa)",
            "Speichern (Freigaben beginnen neu)",
        ],
    ),
    (
        "expires",
        ["Expires", "Scade", "Caduca", "Wygasa", "Läuft ab"],
    ),
    (
        "expired",
        ["Expired", "Scaduto", "Caducado", "Wygasł", "Abgelaufen"],
    ),
    (
        "never",
        ["never", "mai", "nunca", "nigdy", "nie"],
    ),
    (
        "days_30",
        ["in 30 days", "tra 30 giorni", "en 30 días", "za 30 dni", "in 30 Tagen"],
    ),
    (
        "days_90",
        ["in 90 days", "tra 90 giorni", "en 90 días", "za 90 dni", "in 90 Tagen"],
    ),
    (
        "days_365",
        ["in a year", "tra un anno", "en un año", "za rok", "in einem Jahr"],
    ),
    ("role", ["Role", "Ruolo", "Rol", "Rola", "Rolle"]),
    (
        "add_user",
        [
            "Add a user",
            "Aggiungi un utente",
            "Añadir usuario",
            "Dodaj użytkownika",
            "Benutzer hinzufügen",
        ],
    ),
    (
        "new_password",
        [
            "New password (10+ characters)",
            "Nuova password (10+ caratteri)",
            "Nueva contraseña (10+ caracteres)",
            "Nowe hasło (10+ znaków)",
            "Neues Passwort (10+ Zeichen)",
        ],
    ),
    (
        "disabled",
        [
            "disabled",
            "disattivato",
            "desactivado",
            "wyłączony",
            "deaktiviert",
        ],
    ),
    (
        "disable",
        [
            "Disable",
            "Disattiva",
            "Desactivar",
            "Wyłącz",
            "Deaktivieren",
        ],
    ),
    (
        "enable",
        ["Enable", "Attiva", "Activar", "Włącz", "Aktivieren"],
    ),
    (
        "signed_in_as",
        [
            "Signed in as",
            "Connesso come",
            "Sesión de",
            "Zalogowano jako",
            "Angemeldet als",
        ],
    ),
    (
        "median",
        ["median", "mediana", "mediana", "mediana", "Median"],
    ),
    (
        "answered_cases",
        [
            "answered cases",
            "casi con risposta",
            "casos respondidos",
            "spraw z odpowiedzią",
            "beantwortete Fälle",
        ],
    ),
];

/// The words of one UI language.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    col: usize,
}

impl Tr {
    pub fn new(lang: &str) -> Tr {
        Tr {
            col: UI_LANGS.iter().position(|l| *l == lang).unwrap_or(0),
        }
    }

    pub fn lang(&self) -> &'static str {
        UI_LANGS[self.col]
    }

    /// The word for `key`; the key itself when it is missing.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        TABLE
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, words)| words[self.col])
            .unwrap_or(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (k, words) in TABLE {
            assert!(seen.insert(*k), "duplicate key {k}");
            for w in words {
                assert!(!w.trim().is_empty(), "{k} has an empty translation");
            }
        }
    }

    #[test]
    fn every_key_used_by_a_template_exists() {
        let sources = [
            include_str!("../templates/base.html"),
            include_str!("../templates/login.html"),
            include_str!("../templates/overview.html"),
            include_str!("../templates/overview_live.html"),
            include_str!("../templates/explorer.html"),
            include_str!("../templates/inbox.html"),
            include_str!("../templates/queue.html"),
            include_str!("../templates/case.html"),
            include_str!("../templates/settings.html"),
        ];
        for src in sources {
            for part in src.split("tr.t(\"").skip(1) {
                let key = part.split('"').next().unwrap_or("");
                assert!(TABLE.iter().any(|(k, _)| *k == key), "missing key {key:?}");
            }
        }
        assert_eq!(Tr::new("pl").t("nav_inbox"), "Skrzynka");
        assert_eq!(Tr::new("xx").lang(), "en");
    }
}
