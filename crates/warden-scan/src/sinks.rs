//! The catalogue of library calls that matter: where data does harm (sinks), where
//! untrusted content and secrets come from (sources), and what neutralises data
//! (sanitizers). Calls are matched on their qualified path (see
//! [`crate::project::Project::qualify`]).

use crate::ir::{Call, Expr};

/// What a call does, for sinks and for the tool inventory's "touches".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Effect {
    /// Runs a command line through a shell.
    Shell,
    /// Starts a program with an argument vector (no shell).
    Process,
    /// Evaluates code.
    Eval,
    /// Imports a module by a computed name.
    DynImport,
    /// Deserialises with an unsafe format.
    Deser,
    /// Runs a SQL statement.
    Sql,
    /// Reads a file or directory.
    FsRead,
    /// Writes or creates a file.
    FsWrite,
    /// Deletes files.
    FsDelete,
    /// Makes an outbound request.
    Http,
    /// Extracts an archive.
    Archive,
    /// Writes to a log or the console.
    Log,
    /// Talks to a database through an ORM or driver (not raw SQL text).
    Db,
}

/// One matched sink: the effect and the arguments that carry the dangerous input.
#[derive(Debug)]
pub struct SinkUse<'a> {
    pub effect: Effect,
    /// The inputs that must not be attacker-controlled.
    pub inputs: Vec<&'a Expr>,
    /// For [`Effect::Process`]: the program (first) and its arguments, in order.
    pub argv: Vec<&'a Expr>,
    /// For [`Effect::Sql`] and [`Effect::Db`]: whether the statement mutates, when known.
    pub mutates: bool,
}

fn last(q: &str) -> &str {
    q.rsplit('.').next().unwrap_or(q)
}

fn is_truthy_lit(e: Option<&Expr>, text: &str) -> bool {
    match e {
        Some(Expr::Lit(sp)) => {
            let t = text
                .get(sp.start_byte as usize..sp.end_byte as usize)
                .unwrap_or("");
            t == "true" || t == "True"
        }
        Some(Expr::Str(s, _)) => !s.is_empty(),
        Some(Expr::Name(..)) | Some(Expr::Member(..)) => true,
        _ => false,
    }
}

/// Python receivers that are database handles, by name.
fn dbish(q: &str) -> bool {
    let recv = q
        .rsplit_once('.')
        .map(|(r, _)| r)
        .unwrap_or("")
        .to_ascii_lowercase();
    let leaf = recv.rsplit('.').next().unwrap_or("");
    [
        "cursor",
        "cur",
        "conn",
        "connection",
        "db",
        "database",
        "pool",
        "session",
        "engine",
        "knex",
        "sequelize",
        "sql",
        "pg",
        "mysql",
        "sqlite",
        "sqlite3",
        "tx",
        "trx",
        "transaction",
        "psycopg2",
        "psycopg",
        "asyncpg",
        "aiosqlite",
        "driver",
        "neo4j",
    ]
    .iter()
    .any(|k| leaf == *k || leaf.ends_with(k) || leaf.starts_with(k))
        || recv.starts_with("sqlite3")
        || recv.starts_with("psycopg")
        || recv.starts_with("pymysql")
        || recv.starts_with("mysql")
        || recv.starts_with("pg")
        || recv.starts_with("better-sqlite3")
        || recv.starts_with("sqlalchemy")
        || recv.starts_with("asyncpg")
}

/// Classifies a call. `q` is its qualified path; `text` the file's source (to read
/// literal flags such as `shell=True`); `py` whether the file is Python.
pub fn classify<'a>(q: &str, call: &'a Call, text: &str, py: bool) -> Vec<SinkUse<'a>> {
    let mut out = Vec::new();
    let arg0 = call.positional(0);
    let push = |out: &mut Vec<SinkUse<'a>>, effect, inputs: Vec<&'a Expr>| {
        out.push(SinkUse {
            effect,
            inputs,
            argv: Vec::new(),
            mutates: false,
        })
    };
    let all_args = || call.args.iter().map(|a| &a.value).collect::<Vec<_>>();
    let name = last(q);

    if py {
        match q {
            "os.system"
            | "os.popen"
            | "commands.getoutput"
            | "subprocess.getoutput"
            | "subprocess.getstatusoutput"
            | "asyncio.create_subprocess_shell"
            | "pexpect.spawn"
            | "pexpect.run"
            | "pty.spawn" => push(&mut out, Effect::Shell, arg0.into_iter().collect()),
            "subprocess.run"
            | "subprocess.call"
            | "subprocess.check_call"
            | "subprocess.check_output"
            | "subprocess.Popen" => {
                let cmd = arg0.or_else(|| call.keyword("args"));
                if is_truthy_lit(call.keyword("shell"), text) {
                    push(&mut out, Effect::Shell, cmd.into_iter().collect());
                } else if let Some(cmd) = cmd {
                    out.push(process_use(cmd));
                }
            }
            "asyncio.create_subprocess_exec"
            | "os.execv"
            | "os.execvp"
            | "os.execl"
            | "os.execlp"
            | "os.spawnv"
            | "os.spawnl"
            | "os.spawnvp"
            | "os.spawnlp" => {
                let pos: Vec<&Expr> = call
                    .args
                    .iter()
                    .filter(|a| a.name.is_none())
                    .map(|a| &a.value)
                    .collect();
                let (skip, rest) = if q.starts_with("os.spawn") {
                    (1, &pos[..])
                } else {
                    (0, &pos[..])
                };
                if let Some((prog, argv)) = rest.get(skip..).and_then(|r| r.split_first()) {
                    let mut v = vec![*prog];
                    v.extend(argv.iter().copied());
                    out.push(SinkUse {
                        effect: Effect::Process,
                        inputs: vec![*prog],
                        argv: v,
                        mutates: true,
                    });
                }
            }
            "eval"
            | "exec"
            | "compile"
            | "builtins.eval"
            | "builtins.exec"
            | "sympy.sympify"
            | "sympify"
            | "numexpr.evaluate"
            | "pandas.eval"
            | "simpleeval.simple_eval" => {
                if q == "simpleeval.simple_eval" {
                    return out;
                }
                push(&mut out, Effect::Eval, arg0.into_iter().collect())
            }
            "importlib.import_module" | "__import__" | "importlib.__import__" => {
                push(&mut out, Effect::DynImport, arg0.into_iter().collect())
            }
            "pickle.loads"
            | "pickle.load"
            | "cPickle.loads"
            | "_pickle.loads"
            | "marshal.loads"
            | "marshal.load"
            | "dill.loads"
            | "dill.load"
            | "jsonpickle.decode"
            | "shelve.open"
            | "yaml.unsafe_load"
            | "yaml.unsafe_load_all"
            | "joblib.load"
            | "pandas.read_pickle"
            | "cloudpickle.loads" => push(&mut out, Effect::Deser, arg0.into_iter().collect()),
            "yaml.load" | "yaml.load_all" => {
                let loader = call.keyword("Loader").or_else(|| call.positional(1));
                let safe = loader.and_then(|l| l.path()).is_some_and(|p| {
                    p.ends_with("SafeLoader")
                        || p.ends_with("CSafeLoader")
                        || p.ends_with("BaseLoader")
                });
                if !safe {
                    push(&mut out, Effect::Deser, arg0.into_iter().collect());
                }
            }
            "torch.load" if !is_truthy_lit(call.keyword("weights_only"), text) => {
                push(&mut out, Effect::Deser, arg0.into_iter().collect());
            }
            "open" | "io.open" | "codecs.open" | "aiofiles.open" => {
                let mode = call
                    .positional(1)
                    .or_else(|| call.keyword("mode"))
                    .and_then(|m| m.as_str())
                    .unwrap_or_default();
                let eff = if mode.contains(['w', 'a', 'x', '+']) {
                    Effect::FsWrite
                } else {
                    Effect::FsRead
                };
                push(
                    &mut out,
                    eff,
                    arg0.or_else(|| call.keyword("file")).into_iter().collect(),
                );
            }
            "os.remove"
            | "os.unlink"
            | "os.rmdir"
            | "os.removedirs"
            | "shutil.rmtree"
            | "send2trash.send2trash" => {
                push(&mut out, Effect::FsDelete, arg0.into_iter().collect())
            }
            "os.rename" | "os.replace" | "shutil.move" | "shutil.copy" | "shutil.copy2"
            | "shutil.copyfile" | "shutil.copytree" | "os.makedirs" | "os.mkdir" | "os.chmod" => {
                push(&mut out, Effect::FsWrite, all_args())
            }
            "os.listdir" | "os.scandir" | "os.walk" | "os.stat" | "glob.glob"
            | "os.path.getsize" => push(&mut out, Effect::FsRead, arg0.into_iter().collect()),
            "shutil.unpack_archive" => push(&mut out, Effect::Archive, arg0.into_iter().collect()),
            "requests.get"
            | "requests.post"
            | "requests.put"
            | "requests.delete"
            | "requests.patch"
            | "requests.head"
            | "requests.options"
            | "httpx.get"
            | "httpx.post"
            | "httpx.put"
            | "httpx.delete"
            | "httpx.patch"
            | "httpx.head"
            | "httpx.stream"
            | "urllib.request.urlopen"
            | "urllib.request.Request"
            | "urllib.request.urlretrieve"
            | "urllib2.urlopen"
            | "urlopen"
            | "requests.Session.get"
            | "requests.Session.post" => {
                let url = arg0.or_else(|| call.keyword("url"));
                out.push(http(url, mutating_verb(name)));
            }
            "requests.request" | "httpx.request" => {
                // `requests.request("POST", url)`: the verb is the first argument.
                let verb = arg0.or_else(|| call.keyword("method"));
                let verb = verb.and_then(|v| v.as_str()).unwrap_or_default();
                let url = call.positional(1).or_else(|| call.keyword("url"));
                out.push(http(url, mutating_verb(&verb.to_ascii_lowercase())))
            }
            _ => {}
        }
        if !out.is_empty() {
            return out;
        }
        // Method calls on well-known client objects.
        let recv = q.rsplit_once('.').map(|(r, _)| r).unwrap_or("");
        if (recv.starts_with("httpx.")
            || recv.starts_with("aiohttp.")
            || recv.starts_with("requests."))
            && matches!(
                name,
                "get"
                    | "post"
                    | "put"
                    | "delete"
                    | "patch"
                    | "head"
                    | "request"
                    | "stream"
                    | "send"
            )
        {
            let url = if name == "request" || name == "stream" && call.positional_count() > 1 {
                call.positional(1)
            } else {
                arg0
            }
            .or_else(|| call.keyword("url"));
            out.push(http(url, mutating_verb(name)));
            return out;
        }
        if (recv.contains("smtp") || recv.contains("SMTP"))
            && matches!(name, "send_message" | "sendmail" | "send")
        {
            out.push(http(None, true));
            return out;
        }
        if name == "extractall" && (recv.starts_with("tarfile") || recv.starts_with("zipfile")) {
            let filtered = call.keyword("filter").is_some() || call.keyword("members").is_some();
            if !filtered {
                push(&mut out, Effect::Archive, Vec::new());
            }
            return out;
        }
        if matches!(
            name,
            "execute"
                | "executemany"
                | "executescript"
                | "exec_driver_sql"
                | "fetch"
                | "fetchrow"
                | "fetchval"
                | "run"
                | "query"
                | "raw"
        ) && dbish(q)
        {
            push(
                &mut out,
                Effect::Sql,
                arg0.or_else(|| call.keyword("query")).into_iter().collect(),
            );
            return out;
        }
        if let Some(mutates) = python_orm(q, call) {
            out.push(SinkUse {
                effect: Effect::Db,
                inputs: all_args(),
                argv: Vec::new(),
                mutates,
            });
            return out;
        }
        if q == "sqlalchemy.text" || q == "text" && call.positional_count() == 1 {
            push(&mut out, Effect::Sql, arg0.into_iter().collect());
            return out;
        }
        if matches!(
            recv,
            "logging" | "logger" | "log" | "_logger" | "LOGGER" | "self.logger" | "self.log"
        ) || recv.ends_with("logger")
            || recv.starts_with("logging.")
            || recv.ends_with("getLogger")
        {
            if matches!(
                name,
                "debug" | "info" | "warning" | "warn" | "error" | "exception" | "critical" | "log"
            ) {
                push(&mut out, Effect::Log, all_args());
            }
            return out;
        }
        if q == "print" || q == "sys.stderr.write" || q == "sys.stdout.write" {
            push(&mut out, Effect::Log, all_args());
            return out;
        }
        if matches!(name, "read_text" | "read_bytes") || name == "iterdir" {
            push(&mut out, Effect::FsRead, Vec::new());
        } else if matches!(name, "write_text" | "write_bytes" | "mkdir" | "touch") {
            push(&mut out, Effect::FsWrite, Vec::new());
        } else if matches!(name, "unlink" | "rmdir") && !q.starts_with("os.") {
            push(&mut out, Effect::FsDelete, Vec::new());
        }
        return out;
    }

    // JavaScript / TypeScript.
    match q {
        "child_process.exec"
        | "child_process.execSync"
        | "shelljs.exec"
        | "execa.execaCommand"
        | "execa.execaCommandSync"
        | "execa.command"
        | "execa.commandSync" => push(&mut out, Effect::Shell, arg0.into_iter().collect()),
        "child_process.spawn"
        | "child_process.spawnSync"
        | "child_process.execFile"
        | "child_process.execFileSync"
        | "execa"
        | "execa.execa"
        | "execa.execaSync"
        | "cross-spawn"
        | "execa.default" => {
            let opts = call
                .args
                .iter()
                .map(|a| &a.value)
                .find(|v| matches!(v, Expr::Object(..)));
            let shell = opts.and_then(|o| o.prop("shell"));
            if is_truthy_lit(shell, text) {
                let mut inputs: Vec<&Expr> = arg0.into_iter().collect();
                if let Some(Expr::List(items, _)) = call.positional(1) {
                    inputs.extend(items.iter());
                } else if let Some(a) = call.positional(1) {
                    inputs.push(a);
                }
                push(&mut out, Effect::Shell, inputs);
            } else if let Some(prog) = arg0 {
                let mut argv = vec![prog];
                match call.positional(1) {
                    Some(Expr::List(items, _)) => argv.extend(items.iter()),
                    Some(other @ (Expr::Name(..) | Expr::Member(..) | Expr::Call(..))) => {
                        argv.push(other)
                    }
                    _ => {}
                }
                out.push(SinkUse {
                    effect: Effect::Process,
                    inputs: vec![prog],
                    argv,
                    mutates: true,
                });
            }
        }
        "eval"
        | "Function"
        | "vm.runInNewContext"
        | "vm.runInThisContext"
        | "vm.runInContext"
        | "vm.compileFunction"
        | "vm.Script"
        | "vm2.VM.run"
        | "global.eval"
        | "globalThis.eval" => {
            let inputs = if q == "Function" {
                all_args()
            } else {
                arg0.into_iter().collect()
            };
            push(&mut out, Effect::Eval, inputs)
        }
        "require" | "import" if !matches!(arg0, Some(Expr::Str(..))) => {
            push(&mut out, Effect::DynImport, arg0.into_iter().collect())
        }
        "node-serialize.unserialize"
        | "serialize-to-js.deserialize"
        | "cryo.parse"
        | "funcster.deepDeserialize" => push(&mut out, Effect::Deser, arg0.into_iter().collect()),
        "yaml.load" | "yaml.loadAll" => {
            // js-yaml 4 is safe by default; only an explicit full/unsafe schema is not.
            let unsafe_schema = call
                .positional(1)
                .and_then(|o| o.prop("schema"))
                .and_then(|s| s.path())
                .is_some_and(|p| p.contains("FULL") || p.to_ascii_lowercase().contains("unsafe"));
            if unsafe_schema {
                push(&mut out, Effect::Deser, arg0.into_iter().collect());
            }
        }
        "fetch" | "undici.fetch" | "undici.request" | "got" | "axios" | "ky" | "needle"
        | "superagent" | "request" | "http.get" | "https.get" | "http.request"
        | "https.request" | "axios.default" | "got.default" => {
            let url = match arg0 {
                Some(o @ Expr::Object(..)) => {
                    o.prop("url").or(o.prop("hostname")).or(o.prop("host"))
                }
                other => other,
            };
            let method = call
                .positional(1)
                .and_then(|o| o.prop("method"))
                .and_then(|m| m.as_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            out.push(http(url, mutating_verb(&method)));
        }
        _ => {}
    }
    if !out.is_empty() {
        return out;
    }
    let recv = q.rsplit_once('.').map(|(r, _)| r).unwrap_or("");
    let root = q.split('.').next().unwrap_or("");
    if matches!(
        root,
        "axios" | "got" | "superagent" | "needle" | "ky" | "undici"
    ) && matches!(
        name,
        "get" | "post" | "put" | "delete" | "patch" | "head" | "request" | "stream"
    ) {
        let url = match arg0 {
            Some(o @ Expr::Object(..)) => o.prop("url"),
            other => other,
        };
        out.push(http(url, mutating_verb(name)));
        return out;
    }
    if name == "sendMail"
        || (recv.to_ascii_lowercase().contains("mail") && name.starts_with("send"))
    {
        // E-mail is an outbound channel like a POST.
        out.push(http(None, true));
        return out;
    }
    if name == "goto" && recv.to_ascii_lowercase().contains("page") {
        out.push(http(arg0, false));
        return out;
    }
    if root == "fs" || recv == "fs.promises" {
        let eff = match name {
            "readFile" | "readFileSync" | "createReadStream" | "readdir" | "readdirSync"
            | "opendir" | "open" | "openSync" | "readJson" | "readJSON" => Some(Effect::FsRead),
            "writeFile" | "writeFileSync" | "appendFile" | "appendFileSync"
            | "createWriteStream" | "mkdir" | "mkdirSync" | "copyFile" | "copyFileSync"
            | "rename" | "renameSync" | "cp" | "cpSync" | "symlink" | "chmod" | "outputFile"
            | "writeJson" | "move" | "copy" | "ensureDir" => Some(Effect::FsWrite),
            "unlink" | "unlinkSync" | "rm" | "rmSync" | "rmdir" | "rmdirSync" | "remove"
            | "removeSync" | "emptyDir" => Some(Effect::FsDelete),
            _ => None,
        };
        if let Some(eff) = eff {
            let inputs = if matches!(
                name,
                "copyFile" | "rename" | "cp" | "copy" | "move" | "symlink"
            ) {
                all_args()
            } else {
                arg0.into_iter().collect()
            };
            push(&mut out, eff, inputs);
        }
        return out;
    }
    if name == "sendFile" || name == "download" && recv.ends_with("res") {
        push(&mut out, Effect::FsRead, arg0.into_iter().collect());
        return out;
    }
    if name == "extractAllTo" || name == "extractEntryTo" || q == "tar.x" || q == "tar.extract" {
        push(&mut out, Effect::Archive, Vec::new());
        return out;
    }
    if matches!(name, "$queryRawUnsafe" | "$executeRawUnsafe") {
        push(&mut out, Effect::Sql, arg0.into_iter().collect());
        return out;
    }
    // `get`/`all`/`run` are SQL only on prepared statements (better-sqlite3, sqlite):
    // `this.sessions.get(id)` is a Map.
    let statement_method = matches!(name, "get" | "all" | "run")
        && (recv.contains("prepare")
            || recv.ends_with("stmt")
            || recv.ends_with("statement")
            || recv.rsplit('.').next() == Some("db"));
    if (matches!(
        name,
        "query" | "execute" | "raw" | "prepare" | "exec" | "unsafe"
    ) && dbish(q)
        || statement_method)
        && !call.tagged
    {
        push(&mut out, Effect::Sql, arg0.into_iter().collect());
        return out;
    }
    if matches!(
        name,
        "findUnique"
            | "findFirst"
            | "findMany"
            | "findById"
            | "findOne"
            | "findByPk"
            | "findAll"
            | "findByIdAndUpdate"
            | "findByIdAndDelete"
            | "findOneAndUpdate"
            | "findOneAndDelete"
            | "deleteOne"
            | "deleteMany"
            | "updateOne"
            | "updateMany"
            | "destroy"
            | "findUniqueOrThrow"
    ) {
        let mutates = name.contains("Update")
            || name.contains("Delete")
            || name.starts_with("delete")
            || name.starts_with("update")
            || name == "destroy";
        out.push(SinkUse {
            effect: Effect::Db,
            inputs: all_args(),
            argv: Vec::new(),
            mutates,
        });
        return out;
    }
    if (recv == "console" && matches!(name, "log" | "info" | "warn" | "error" | "debug" | "trace"))
        || (recv.to_ascii_lowercase().ends_with("logger")
            || recv == "log"
            || recv == "winston"
            || recv == "pino")
            && matches!(
                name,
                "log" | "info" | "warn" | "error" | "debug" | "trace" | "fatal"
            )
    {
        push(&mut out, Effect::Log, all_args());
    }
    out
}

/// An outbound request to `url` (none when the destination is not an argument, as
/// for mail); `mutates` when it changes state on the far side.
fn http(url: Option<&Expr>, mutates: bool) -> SinkUse<'_> {
    SinkUse {
        effect: Effect::Http,
        inputs: url.into_iter().collect(),
        argv: Vec::new(),
        mutates,
    }
}

/// Whether an HTTP verb (lower case) changes state on the server.
fn mutating_verb(verb: &str) -> bool {
    matches!(verb, "post" | "put" | "delete" | "patch")
}

/// An argv-form process call: `subprocess.run([prog, a, b])` or `run(cmd_list)`.
fn process_use(cmd: &Expr) -> SinkUse<'_> {
    match cmd {
        Expr::List(items, _) if !items.is_empty() => SinkUse {
            effect: Effect::Process,
            inputs: vec![&items[0]],
            argv: items.iter().collect(),
            mutates: true,
        },
        other => SinkUse {
            effect: Effect::Process,
            inputs: vec![other],
            argv: vec![other],
            mutates: true,
        },
    }
}

/// The effect of an ORM-style Python call (`session.get(Model, id)`,
/// `Model.objects.get(pk=id)`), which reads or writes records by key.
pub fn python_orm(q: &str, call: &Call) -> Option<bool> {
    let name = last(q);
    if q.contains(".objects.")
        && matches!(
            name,
            "get" | "filter" | "delete" | "update" | "get_or_create" | "exclude"
        )
    {
        return Some(matches!(name, "delete" | "update"));
    }
    // `session.get(Model, id)` / `db.session.delete(obj)`, whatever the session is called.
    let raw = call.callee.path().unwrap_or_default().to_ascii_lowercase();
    let recv_leaf = raw
        .rsplit_once('.')
        .map(|(r, _)| r.rsplit('.').next().unwrap_or(r))
        .unwrap_or("");
    if recv_leaf.contains("session") && matches!(name, "get" | "delete" | "merge" | "get_one") {
        return Some(name != "get" && name != "get_one");
    }
    None
}

/// Programs whose options can be smuggled in through a positional argument that
/// starts with `-` (argument injection).
pub fn option_injectable(program: &str) -> bool {
    let base = program.rsplit('/').next().unwrap_or(program);
    matches!(
        base,
        "git"
            | "curl"
            | "wget"
            | "kubectl"
            | "ssh"
            | "scp"
            | "rsync"
            | "find"
            | "tar"
            | "docker"
            | "helm"
            | "npm"
            | "npx"
            | "pip"
            | "aws"
            | "gcloud"
            | "az"
            | "gh"
            | "sed"
            | "awk"
            | "xargs"
            | "zip"
            | "unzip"
            | "grep"
            | "rg"
            | "psql"
            | "mysql"
            | "hg"
            | "svn"
            | "ffmpeg"
            | "convert"
            | "openssl"
            | "node"
            | "python"
            | "python3"
            | "go"
            | "cargo"
    )
}

/// What a sanitizing call removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sanitizer {
    /// The result carries no taint at all (numbers, booleans, lengths).
    All,
    /// Shell metacharacters are quoted.
    Shell,
    /// Path separators and `..` are removed.
    Path,
    /// SQL literal/identifier escaping.
    Sql,
    /// The content is marked as untrusted for the model.
    UntrustedMarker,
    /// Secrets are masked.
    Redact,
}

/// Recognises sanitizing calls by qualified path (and, for local helpers, by name).
pub fn sanitizer(q: &str) -> Option<Sanitizer> {
    let name = last(q);
    match q {
        "int"
        | "float"
        | "bool"
        | "len"
        | "Number"
        | "parseInt"
        | "parseFloat"
        | "Boolean"
        | "Math.floor"
        | "Math.round"
        | "isNaN"
        | "uuid.UUID"
        | "Number.parseInt"
        | "Number.isInteger"
        | "datetime.fromisoformat"
        | "hashlib.sha256" => return Some(Sanitizer::All),
        "shlex.quote" | "pipes.quote" | "shell-quote.quote" | "shellescape" | "shell_escape" => {
            return Some(Sanitizer::Shell);
        }
        "path.basename"
        | "os.path.basename"
        | "secure_filename"
        | "werkzeug.utils.secure_filename"
        | "sanitize-filename"
        | "sanitize-filename.default" => return Some(Sanitizer::Path),
        "encodeURIComponent" | "urllib.parse.quote" | "urllib.parse.quote_plus" | "quote_plus" => {
            return Some(Sanitizer::Path);
        }
        _ => {}
    }
    let lower = name.to_ascii_lowercase();
    if matches!(
        name,
        "escapeLiteral"
            | "escapeIdentifier"
            | "quote_ident"
            | "quote_literal"
            | "Identifier"
            | "escapeId"
            | "format_query_value"
            | "quote_identifier"
            | "quote_name"
            | "escape_string"
            | "escape_literal"
            | "escape_identifier"
            | "sql_escape"
            | "escape_sql"
    ) || q.ends_with("sqlstring.escape")
        || q.ends_with("mysql.escape")
        || q == "pg-format"
        || q == "pg-format.default"
    {
        return Some(Sanitizer::Sql);
    }
    if lower.contains("untrusted")
        || lower.contains("spotlight")
        || lower.contains("quarantine")
        || lower.contains("wrap_external")
        || lower.contains("wrapexternal")
        || lower.contains("mark_external")
        || lower.contains("markexternal")
        || lower.contains("delimit")
    {
        return Some(Sanitizer::UntrustedMarker);
    }
    if lower.starts_with("redact")
        || lower.starts_with("mask")
        || lower.contains("scrub")
        || lower.contains("obfuscat")
        || lower.contains("anonymi")
        || lower.contains("censor")
    {
        return Some(Sanitizer::Redact);
    }
    if lower == "escapeshellarg" || lower == "shellquote" || lower == "quoteshellarg" {
        return Some(Sanitizer::Shell);
    }
    None
}

/// Calls whose result is content from outside the server's trust boundary, which a
/// tool must not hand to the model unmarked.
pub fn external_content(q: &str) -> Option<&'static str> {
    let name = last(q);
    let lower = q.to_ascii_lowercase();
    if lower.contains(".issues.")
        || lower.contains(".pulls.")
        || lower.ends_with("listcomments")
        || matches!(
            name,
            "get_issue" | "get_issues" | "get_comments" | "get_pull" | "get_issue_comments"
        )
    {
        return Some("issue or pull-request text");
    }
    if lower.contains("messages.get")
        || lower.contains("messages.list")
        || lower.contains("imap")
        || lower.contains("conversations.history")
        || name == "fetch_mail"
        || name == "get_emails"
    {
        return Some("message or e-mail text");
    }
    if matches!(
        name,
        "content" | "innerText" | "textContent" | "inner_text" | "text_content"
    ) && lower.contains("page")
    {
        return Some("web page content");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{Arg, Span};

    fn call(args: &[(Option<&str>, &str)]) -> Call {
        let arg = |(name, value): &(Option<&str>, &str)| Arg {
            name: name.map(str::to_string),
            value: Expr::Str(value.to_string(), Span::default()),
            spread: false,
        };
        Call {
            callee: Expr::Name("f".into(), Span::default()),
            args: args.iter().map(arg).collect(),
            is_new: false,
            tagged: false,
            span: Span::default(),
        }
    }

    fn http_mutates(q: &str, c: &Call, py: bool) -> Vec<bool> {
        classify(q, c, "", py)
            .iter()
            .filter(|u| u.effect == Effect::Http)
            .map(|u| u.mutates)
            .collect()
    }

    #[test]
    fn generic_request_reads_its_verb_argument() {
        let post = call(&[(None, "POST"), (None, "https://x.example")]);
        let get = call(&[(None, "get"), (None, "https://x.example")]);
        let kw = call(&[(Some("method"), "DELETE"), (Some("url"), "https://x")]);
        assert_eq!(http_mutates("requests.request", &post, true), [true]);
        assert_eq!(http_mutates("httpx.request", &get, true), [false]);
        assert_eq!(http_mutates("requests.request", &kw, true), [true]);
    }

    #[test]
    fn verb_methods_and_mail_mutate_plain_reads_do_not() {
        let url = call(&[(None, "https://x.example")]);
        assert_eq!(http_mutates("requests.post", &url, true), [true]);
        assert_eq!(http_mutates("requests.get", &url, true), [false]);
        assert_eq!(http_mutates("axios.put", &url, false), [true]);
        assert_eq!(http_mutates("transporter.sendMail", &url, false), [true]);
        assert_eq!(http_mutates("smtp.send_message", &url, true), [true]);
    }
}
