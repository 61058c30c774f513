//! Forms opened on a task carry what the task looked like then, so that a submission
//! changes only what its sender changed: someone else's change made while the form was open
//! is kept, not overwritten with the stale values the form was filled with.
//!
//! The edit form's value holds a fingerprint of each field as shown; on submit, a field
//! whose value still matches its fingerprint was left alone by the sender. A field both the
//! sender and someone else changed differently is a conflict: the form comes back with the
//! current value and a note. The checklist form carries which items were ticked when it
//! opened, and a submission ticks or unticks only the items the sender changed.

use super::task::{Edit, PersonRef, Priority, Task};

/// The fields of the edit form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditField {
    Title,
    Description,
    Assignees,
    Due,
    Priority,
}

impl EditField {
    pub const ALL: [EditField; 5] = [
        EditField::Title,
        EditField::Description,
        EditField::Assignees,
        EditField::Due,
        EditField::Priority,
    ];

    /// The form field's name.
    pub fn name(self) -> &'static str {
        match self {
            EditField::Title => "title",
            EditField::Description => "description",
            EditField::Assignees => "assignees",
            EditField::Due => "due",
            EditField::Priority => "priority",
        }
    }
}

/// The edit form's values, as comparable as the task's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditValues {
    pub title: String,
    pub description: String,
    /// Person ids, in order.
    pub assignees: Vec<String>,
    /// To the minute.
    pub due_ms: Option<i64>,
    pub priority: Priority,
}

impl EditValues {
    pub fn of(task: &Task) -> EditValues {
        EditValues {
            title: task.title.clone(),
            description: task.description.clone(),
            assignees: task.assignees.iter().map(|p| p.id.clone()).collect(),
            due_ms: task.due_ms,
            priority: task.priority,
        }
    }

    /// A field's value as text for comparing (assignees as a set, due to the minute).
    fn canonical(&self, field: EditField) -> String {
        match field {
            EditField::Title => self.title.split_whitespace().collect::<Vec<_>>().join(" "),
            EditField::Description => self.description.trim().replace("\r\n", "\n"),
            EditField::Assignees => {
                let mut ids = self.assignees.clone();
                ids.sort();
                ids.dedup();
                ids.join(",")
            }
            EditField::Due => self
                .due_ms
                .map(|d| d.div_euclid(60_000).to_string())
                .unwrap_or_default(),
            EditField::Priority => self.priority.key().to_owned(),
        }
    }
}

/// 32-bit FNV-1a, as 8 hex digits: enough to tell whether a field was touched.
fn fingerprint(text: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for b in text.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// What the edit form carries: the task id and a fingerprint of each field as shown.
pub fn edit_token(task_id: &str, shown: &EditValues) -> String {
    let prints: String = EditField::ALL
        .iter()
        .map(|f| fingerprint(&shown.canonical(*f)))
        .collect();
    format!("{prints}{task_id}")
}

/// The task id and fingerprints an edit form carried.
pub fn read_edit_token(token: &str) -> Option<(&str, Vec<&str>)> {
    let n = EditField::ALL.len() * 8;
    let prints = token.get(..n)?;
    let id = token.get(n..).filter(|id| !id.is_empty())?;
    let prints = (0..EditField::ALL.len())
        .map(|i| &prints[i * 8..i * 8 + 8])
        .collect();
    Some((id, prints))
}

/// What a submission changes, or the fields it conflicts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Merged {
    Apply(EditChanges),
    Conflict(Vec<EditField>),
}

/// The fields the sender changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EditChanges {
    pub fields: Vec<EditField>,
}

impl EditChanges {
    /// The edit that sets these fields to the submitted values (assignees resolved by the
    /// caller, who knows their names).
    pub fn edit(&self, submitted: &EditValues, people: &[PersonRef]) -> Edit {
        let mut edit = Edit::default();
        for f in &self.fields {
            match f {
                EditField::Title => edit.title = Some(submitted.title.clone()),
                EditField::Description => edit.description = Some(submitted.description.clone()),
                EditField::Assignees => edit.assignees = Some(people.to_vec()),
                EditField::Due => edit.due_ms = Some(submitted.due_ms),
                EditField::Priority => edit.priority = Some(submitted.priority),
            }
        }
        edit
    }

    pub fn touches(&self, field: EditField) -> bool {
        self.fields.contains(&field)
    }
}

/// Three-way merge of an edit form: `prints` as the form was shown, `current` the task now,
/// `submitted` what came back.
pub fn merge_edit(prints: &[&str], current: &EditValues, submitted: &EditValues) -> Merged {
    let mut changes = EditChanges::default();
    let mut conflicts = Vec::new();
    for (i, field) in EditField::ALL.iter().enumerate() {
        let shown = prints.get(i).copied().unwrap_or_default();
        let sent = submitted.canonical(*field);
        if fingerprint(&sent) == shown {
            continue; // the sender left it alone
        }
        let now = current.canonical(*field);
        if fingerprint(&now) == shown {
            changes.fields.push(*field); // only the sender changed it
        } else if now != sent {
            conflicts.push(*field); // both did, differently
        }
    }
    if conflicts.is_empty() {
        Merged::Apply(changes)
    } else {
        Merged::Conflict(conflicts)
    }
}

/// What the checklist form carries: the task id and the items ticked when it was shown.
pub fn checklist_token(task: &Task, task_id: &str) -> String {
    let done: Vec<String> = task
        .checklist
        .iter()
        .filter(|i| i.done)
        .map(|i| i.id.to_string())
        .collect();
    format!("{}|{task_id}", done.join(","))
}

/// The task id and the items ticked when the checklist form was shown.
pub fn read_checklist_token(token: &str) -> Option<(&str, Vec<u32>)> {
    let (done, id) = token.split_once('|')?;
    let done = done
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().ok())
        .collect::<Option<Vec<u32>>>()?;
    (!id.is_empty()).then_some((id, done))
}

/// The ticks to set: only the items whose tick the sender changed from what they were shown.
pub fn checklist_ticks(shown: &[u32], sent: &[u32], items: &[u32]) -> Vec<(u32, bool)> {
    items
        .iter()
        .filter_map(|id| {
            let was = shown.contains(id);
            let now = sent.contains(id);
            (was != now).then_some((*id, now))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(title: &str, due: Option<i64>) -> EditValues {
        EditValues {
            title: title.into(),
            due_ms: due,
            ..EditValues::default()
        }
    }

    fn prints(token: &str) -> Vec<&str> {
        read_edit_token(token).unwrap().1
    }

    #[test]
    fn tokens_round_trip() {
        let t = edit_token("g-1.12", &values("A", None));
        let (id, p) = read_edit_token(&t).unwrap();
        assert_eq!(id, "g-1.12");
        assert_eq!(p.len(), 5);
        assert!(read_edit_token("short").is_none());
        assert!(read_edit_token(&t[..40]).is_none(), "no id");
    }

    #[test]
    fn untouched_fields_keep_someone_elses_change() {
        let shown = values("Quote", Some(60_000 * 100));
        let token = edit_token("t", &shown);
        // Meanwhile someone moved the due time.
        let current = values("Quote", Some(60_000 * 200));
        // The sender renamed it and sent the due time they were shown.
        let sent = values("Quote for ACME", Some(60_000 * 100));
        assert_eq!(
            merge_edit(&prints(&token), &current, &sent),
            Merged::Apply(EditChanges {
                fields: vec![EditField::Title]
            })
        );
    }

    #[test]
    fn the_same_change_twice_is_no_conflict_but_different_ones_are() {
        let shown = values("Quote", Some(60_000 * 100));
        let token = edit_token("t", &shown);
        let current = values("Quote", Some(60_000 * 200));
        let same = values("Quote", Some(60_000 * 200));
        assert_eq!(
            merge_edit(&prints(&token), &current, &same),
            Merged::Apply(EditChanges::default())
        );
        let other = values("Quote", Some(60_000 * 300));
        assert_eq!(
            merge_edit(&prints(&token), &current, &other),
            Merged::Conflict(vec![EditField::Due])
        );
    }

    #[test]
    fn comparisons_ignore_order_seconds_and_spacing() {
        let mut shown = values("Send  the quote", Some(60_000 * 100 + 5_000));
        shown.assignees = vec!["b".into(), "a".into()];
        let token = edit_token("t", &shown);
        let mut sent = values("Send the quote", Some(60_000 * 100));
        sent.assignees = vec!["a".into(), "b".into()];
        assert_eq!(
            merge_edit(&prints(&token), &shown, &sent),
            Merged::Apply(EditChanges::default())
        );
    }

    #[test]
    fn checklist_ticks_only_what_the_sender_changed() {
        // Shown: 1 ticked. Sent: 1 and 2 ticked (the sender ticked 2). Meanwhile someone
        // ticked 3: it stays ticked because the sender did not touch it.
        assert_eq!(checklist_ticks(&[1], &[1, 2], &[1, 2, 3]), vec![(2, true)]);
        assert_eq!(checklist_ticks(&[1, 2], &[2], &[1, 2]), vec![(1, false)]);
        let token = "1,3|g.4";
        assert_eq!(read_checklist_token(token), Some(("g.4", vec![1, 3])));
        assert_eq!(read_checklist_token("|g.4"), Some(("g.4", vec![])));
        assert_eq!(read_checklist_token("x|g"), None);
    }
}
