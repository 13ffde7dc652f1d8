//! The shared corpus of histories recorded by other people
//! (`../shared/corpus` next to the checkout, or `$SPLITBRAIN_CORPUS`), and
//! what each file's verdict must be, as the corpus's READMEs state it.
//! Shared by the core corpus tests, the check bench and the CLI's corpus
//! test (`#[path]`-included there).
//!
//! A missing corpus is an error that says where it was looked for: a test
//! that cannot see its data fails, it never passes quietly.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use splitbrain_core::check::{Format, ParseOptions, Verdict};

/// From the jepsen-etcd README (Porcupine's tests): these etcd histories
/// are linearizable, every other one is not.
pub const LINEARIZABLE_ETCD: [u32; 14] = [2, 5, 7, 18, 25, 31, 38, 45, 48, 49, 51, 53, 56, 67];

/// How many files each part holds, as the READMEs promise.
pub const ETCD_FILES: usize = 70;
pub const KV_FILES: usize = 4;
pub const KNOSSOS_FILES: usize = 63;

/// From the knossos README (Knossos's own tests): the position, among all
/// maps of the file, of the completion of the operation that cannot be
/// linearized.
pub const KNOSSOS_STUCK: [(&str, u64); 4] = [
    ("cas-failure", 491),
    ("rethink-fail-minimal", 4),
    ("immediate-failure", 3),
    ("bad-analysis", 14),
];

/// One corpus file.
#[derive(Clone, Debug)]
pub struct Entry {
    /// `knossos/cas-register/good/memstress3-0.edn`, and so on.
    pub name: String,
    pub path: PathBuf,
    pub format: Format,
    pub expected: Verdict,
    /// What the file's checker was told beyond the file: Knossos's
    /// multi-register test starts its registers at 0.
    pub options: ParseOptions,
    /// The folder's model name, for Knossos's files.
    pub model: Option<String>,
    /// Knossos's stuck operation (see [`KNOSSOS_STUCK`]).
    pub stuck_at: Option<u64>,
    /// Command-line arguments giving the same `options`.
    pub args: Vec<String>,
}

/// The corpus directory, or an error naming where it was looked for.
pub fn dir() -> Result<PathBuf, String> {
    let (dir, how) = match std::env::var_os("SPLITBRAIN_CORPUS") {
        Some(dir) => (PathBuf::from(dir), "$SPLITBRAIN_CORPUS"),
        None => (
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus"),
            "../shared/corpus next to the checkout",
        ),
    };
    if dir.join("README.md").is_file() {
        Ok(dir)
    } else {
        Err(format!(
            "no history corpus at {} ({how}; no README.md there): the corpus tests need it \
             (set SPLITBRAIN_CORPUS to its directory)",
            dir.display()
        ))
    }
}

/// The corpus directory; panics (failing the test) when it is missing.
pub fn require() -> PathBuf {
    dir().unwrap_or_else(|e| panic!("{e}"))
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .collect();
    files.sort();
    files
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// The 70 jepsen-etcd logs.
pub fn etcd(root: &Path) -> Vec<Entry> {
    let logs = files(&root.join("jepsen-etcd"), "log");
    assert_eq!(
        logs.len(),
        ETCD_FILES,
        "the README promises {ETCD_FILES} etcd histories"
    );
    logs.into_iter()
        .map(|path| {
            let stem = path.file_stem().expect("a file name").to_string_lossy();
            let number: u32 = stem
                .trim_start_matches("etcd_")
                .parse()
                .unwrap_or_else(|_| panic!("{}: not etcd_NNN.log", path.display()));
            Entry {
                name: relative(root, &path),
                path,
                format: Format::JepsenEtcd,
                expected: if LINEARIZABLE_ETCD.contains(&number) {
                    Verdict::Holds
                } else {
                    Verdict::Violated
                },
                options: ParseOptions::default(),
                model: None,
                stuck_at: None,
                args: Vec::new(),
            }
        })
        .collect()
}

/// The 4 key-value histories: `-ok` linearizable, `-bad` not.
pub fn kv(root: &Path) -> Vec<Entry> {
    let histories = files(&root.join("porcupine-kv"), "txt");
    assert_eq!(
        histories.len(),
        KV_FILES,
        "the README promises {KV_FILES} key-value histories"
    );
    histories
        .into_iter()
        .map(|path| {
            let stem = path.file_stem().expect("a file name").to_string_lossy();
            let expected = if stem.ends_with("-ok") {
                Verdict::Holds
            } else {
                assert!(stem.ends_with("-bad"), "{}", path.display());
                Verdict::Violated
            };
            Entry {
                name: relative(root, &path),
                path,
                format: Format::Edn,
                expected,
                options: ParseOptions::default(),
                model: None,
                stuck_at: None,
                args: Vec::new(),
            }
        })
        .collect()
}

/// The 63 Knossos histories: `<model>/<good|bad>/<name>.edn`.
pub fn knossos(root: &Path) -> Vec<Entry> {
    let base = root.join("knossos");
    let mut entries = Vec::new();
    let mut models: Vec<PathBuf> = std::fs::read_dir(&base)
        .unwrap_or_else(|e| panic!("{}: {e}", base.display()))
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.is_dir())
        .collect();
    models.sort();
    for model_dir in models {
        let model = model_dir
            .file_name()
            .expect("a folder name")
            .to_string_lossy()
            .into_owned();
        for (verdict_dir, expected) in [("good", Verdict::Holds), ("bad", Verdict::Violated)] {
            let dir = model_dir.join(verdict_dir);
            if !dir.is_dir() {
                continue;
            }
            for path in files(&dir, "edn") {
                let mut options = ParseOptions::default();
                let mut args = Vec::new();
                // Knossos checks this one against registers {:x 0 :y 0}, as
                // the file's first line says.
                if model == "multi-register" {
                    let initial = "{:x 0 :y 0}";
                    options.set_initial(initial).expect("valid EDN");
                    args = vec!["--initial".to_string(), initial.to_string()];
                }
                let stem = path.file_stem().expect("a file name").to_string_lossy();
                let stuck_at = KNOSSOS_STUCK
                    .iter()
                    .find(|(name, _)| *name == stem)
                    .map(|(_, at)| *at);
                entries.push(Entry {
                    name: relative(root, &path),
                    path,
                    format: Format::Edn,
                    expected,
                    options,
                    model: Some(model.clone()),
                    stuck_at,
                    args,
                });
            }
        }
    }
    assert_eq!(
        entries.len(),
        KNOSSOS_FILES,
        "the README promises {KNOSSOS_FILES} Knossos histories"
    );
    entries
}

/// Every file of the corpus.
pub fn all(root: &Path) -> Vec<Entry> {
    let mut all = etcd(root);
    all.extend(kv(root));
    all.extend(knossos(root));
    all
}

impl Entry {
    pub fn text(&self) -> String {
        std::fs::read_to_string(&self.path)
            .unwrap_or_else(|e| panic!("{}: {e}", self.path.display()))
    }

    /// The options with the format stated, as a caller that knows it
    /// would pass them.
    pub fn parse_options(&self) -> ParseOptions {
        ParseOptions {
            format: Some(self.format),
            ..self.options.clone()
        }
    }
}
