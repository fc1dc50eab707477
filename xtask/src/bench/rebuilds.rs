//! Rebuilds: after a document edit (the SDK app's, two SDKs' in turns, the workspace's own),
//! each the median of three.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::apps::{App, cargo, settle, succeed};

/// The median of `rebuild` run three times (it is given the run's number).
pub(super) fn median_of_three(
    mut rebuild: impl FnMut(usize) -> Result<Duration, String>,
) -> Result<Duration, String> {
    (0..3).map(&mut rebuild).collect::<Result<Vec<_>, _>>().map(middle)
}

/// The median of an odd number of times.
pub(super) fn middle(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The edit every document-edit rebuild makes to `<root>/openapi/magpie.yaml`: one
/// operation's summary changed (which changes the generated code's documentation), or put back.
pub(super) struct DocumentEdit {
    path: PathBuf,
    original: String,
    edited: String,
}

impl DocumentEdit {
    pub(super) fn new(root: &Path) -> Result<Self, String> {
        let path = root.join("openapi/magpie.yaml");
        let original =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let from = "summary: List your own access tokens";
        if !original.contains(from) {
            return Err(format!("{}: no `{from}` to edit", path.display()));
        }
        let edited = original.replacen(from, "summary: List the caller's access tokens", 1);
        Ok(Self { path, original, edited })
    }

    /// Writes the document of edit number `run` (from 0): changed, put back, changed, ...
    pub(super) fn make(&self, run: usize) -> Result<(), String> {
        self.write(if run.is_multiple_of(2) { &self.edited } else { &self.original })
    }

    /// Leaves the document as it was.
    pub(super) fn undo(&self) -> Result<(), String> {
        self.write(&self.original)
    }

    pub(super) fn write(&self, text: &str) -> Result<(), String> {
        std::fs::write(&self.path, text).map_err(|e| format!("{}: {e}", self.path.display()))
    }
}

/// The median of three timed `build`s, each after a [`DocumentEdit`] of `root`'s document.
/// The document is left as it was.
pub(super) fn document_edit_rebuilds(
    root: &Path,
    mut build: impl FnMut() -> Result<Duration, String>,
) -> Result<Duration, String> {
    let edit = DocumentEdit::new(root)?;
    let time = median_of_three(|run| {
        edit.make(run)?;
        build()
    });
    edit.undo()?;
    time
}

/// [`document_edit_rebuilds`] of two SDK packages, each with its app, taking turns edit by edit
/// so that the machine's drift reaches both alike; each app is built once first, untimed.
pub(super) fn paired_document_edit_rebuilds(
    sides: [(&Path, &App); 2],
) -> Result<[Duration; 2], String> {
    let edits = [DocumentEdit::new(sides[0].0)?, DocumentEdit::new(sides[1].0)?];
    let mut times = [Vec::new(), Vec::new()];
    let result = (|| {
        for (_, app) in sides {
            app.build()?;
        }
        for run in 0..3 {
            for (side, (edit, (_, app))) in edits.iter().zip(sides).enumerate() {
                edit.make(run)?;
                times[side].push(app.build()?);
            }
        }
        Ok::<_, String>(())
    })();
    for edit in &edits {
        edit.undo()?;
    }
    result?;
    Ok(times.map(middle))
}

/// The loop of someone changing a document here: `cargo build` (dev profile) of the SDK and
/// its tour after an edit to `openapi/magpie.yaml` (see [`document_edit_rebuilds`]).
pub(super) fn workspace_edit_rebuild(workspace: &Path) -> Result<Duration, String> {
    let build = || {
        settle();
        let started = Instant::now();
        succeed(cargo().current_dir(workspace).args([
            "build",
            "--quiet",
            "-p",
            "access-tokens",
            "--example",
            "tour",
        ]))?;
        Ok(started.elapsed())
    };
    build()?;
    let time = document_edit_rebuilds(workspace, build);
    build()?;
    time
}

#[cfg(test)]
mod tests {
    use super::DocumentEdit;

    #[test]
    fn document_edits_change_one_summary_and_are_undone() {
        let root = std::env::temp_dir().join(format!("bench-edit-{}", std::process::id()));
        std::fs::create_dir_all(root.join("openapi")).unwrap();
        let path = root.join("openapi/magpie.yaml");
        let original = "a: 1\n      summary: List your own access tokens\nb: 2\n";
        std::fs::write(&path, original).unwrap();
        let read = || std::fs::read_to_string(&path).unwrap();
        let edit = DocumentEdit::new(&root).unwrap();
        edit.make(0).unwrap();
        assert_eq!(read(), "a: 1\n      summary: List the caller's access tokens\nb: 2\n");
        edit.make(1).unwrap();
        assert_eq!(read(), original);
        edit.make(2).unwrap();
        edit.undo().unwrap();
        assert_eq!(read(), original);
        std::fs::write(&path, "a: 1\n").unwrap();
        let error = DocumentEdit::new(&root).err().unwrap();
        assert!(error.ends_with("no `summary: List your own access tokens` to edit"), "{error}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
