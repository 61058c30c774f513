//! Which tasks a view shows, and in what order: the filters and sort of the list and board
//! pages and of `GET tasks`, read from a query string (`?status=todo,blocked&assignee=me
//! &due=overdue&priority=p0,p1&sort=due&order=desc`).

use super::Task;
use super::task::{Priority, Status};

/// Whose tasks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Assignee {
    #[default]
    Anyone,
    /// The person looking.
    Me,
    /// Tasks nobody has taken.
    Nobody,
    Person(String),
}

/// Which due times.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DueFilter {
    #[default]
    Any,
    /// Open and past due.
    Overdue,
    /// Due before tomorrow (overdue ones included).
    Today,
    /// Due within seven days (overdue ones included).
    Week,
    /// Without a due time.
    None,
}

impl DueFilter {
    pub const ALL: [DueFilter; 5] = [
        DueFilter::Any,
        DueFilter::Overdue,
        DueFilter::Today,
        DueFilter::Week,
        DueFilter::None,
    ];

    pub fn key(self) -> &'static str {
        match self {
            DueFilter::Any => "any",
            DueFilter::Overdue => "overdue",
            DueFilter::Today => "today",
            DueFilter::Week => "week",
            DueFilter::None => "none",
        }
    }

    pub fn parse(s: &str) -> Option<DueFilter> {
        DueFilter::ALL.into_iter().find(|d| d.key() == s)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Soonest due first; undated last.
    #[default]
    Due,
    /// Most urgent first, then by due time.
    Priority,
    /// Newest first (by number).
    Created,
    Title,
    /// To do, in progress, blocked, done.
    Status,
}

impl Sort {
    pub const ALL: [Sort; 5] = [
        Sort::Due,
        Sort::Priority,
        Sort::Created,
        Sort::Title,
        Sort::Status,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Sort::Due => "due",
            Sort::Priority => "priority",
            Sort::Created => "created",
            Sort::Title => "title",
            Sort::Status => "status",
        }
    }

    pub fn parse(s: &str) -> Option<Sort> {
        Sort::ALL.into_iter().find(|x| x.key() == s)
    }
}

/// A view: filters and an order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct View {
    /// Empty: every status.
    pub statuses: Vec<Status>,
    pub assignee: Assignee,
    pub due: DueFilter,
    /// Empty: every priority.
    pub priorities: Vec<Priority>,
    pub sort: Sort,
    /// Reverse the order.
    pub desc: bool,
}

/// The keys of a view's query string.
pub const QUERY_KEYS: [&str; 6] = ["status", "assignee", "due", "priority", "sort", "order"];

fn list<T>(value: &str, parse: impl Fn(&str) -> Option<T>) -> Vec<T> {
    value.split(',').filter_map(|v| parse(v.trim())).collect()
}

impl View {
    /// Reads a view from query pairs; unknown keys and values are ignored.
    pub fn parse<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> View {
        let mut view = View::default();
        for (k, v) in pairs {
            match k {
                "status" => view.statuses.extend(list(v, Status::parse)),
                "priority" => view.priorities.extend(list(v, Priority::parse)),
                "assignee" => {
                    view.assignee = match v {
                        "" | "any" => Assignee::Anyone,
                        "me" => Assignee::Me,
                        "none" | "nobody" => Assignee::Nobody,
                        id => Assignee::Person(id.to_owned()),
                    }
                }
                "due" => view.due = DueFilter::parse(v).unwrap_or_default(),
                "sort" => view.sort = Sort::parse(v).unwrap_or_default(),
                "order" => view.desc = v == "desc",
                _ => {}
            }
        }
        view.statuses.sort();
        view.statuses.dedup();
        view.priorities.sort();
        view.priorities.dedup();
        view
    }

    /// The view as a query string (without `?`), only what differs from the default.
    pub fn to_query(&self) -> String {
        let mut parts = Vec::new();
        if !self.statuses.is_empty() {
            let s: Vec<&str> = self.statuses.iter().map(|s| s.key()).collect();
            parts.push(format!("status={}", s.join(",")));
        }
        match &self.assignee {
            Assignee::Anyone => {}
            Assignee::Me => parts.push("assignee=me".into()),
            Assignee::Nobody => parts.push("assignee=none".into()),
            Assignee::Person(id) => parts.push(format!("assignee={id}")),
        }
        if self.due != DueFilter::Any {
            parts.push(format!("due={}", self.due.key()));
        }
        if !self.priorities.is_empty() {
            let p: Vec<&str> = self.priorities.iter().map(|p| p.key()).collect();
            parts.push(format!("priority={}", p.join(",")));
        }
        if self.sort != Sort::Due {
            parts.push(format!("sort={}", self.sort.key()));
        }
        if self.desc {
            parts.push("order=desc".into());
        }
        parts.join("&")
    }

    pub fn is_default(&self) -> bool {
        self == &View::default()
    }

    fn keeps(&self, task: &Task, me: &str, clock: &Clock) -> bool {
        if !self.statuses.is_empty() && !self.statuses.contains(&task.status) {
            return false;
        }
        if !self.priorities.is_empty() && !self.priorities.contains(&task.priority) {
            return false;
        }
        let assigned = match &self.assignee {
            Assignee::Anyone => true,
            Assignee::Me => task.is_assignee(me),
            Assignee::Nobody => task.assignees.is_empty(),
            Assignee::Person(id) => task.is_assignee(id),
        };
        if !assigned {
            return false;
        }
        let open = task.status.is_open();
        match (self.due, task.due_ms) {
            (DueFilter::Any, _) => true,
            (DueFilter::None, due) => due.is_none(),
            (_, None) => false,
            (DueFilter::Overdue, Some(d)) => open && d <= clock.now,
            (DueFilter::Today, Some(d)) => d < clock.tomorrow_start,
            (DueFilter::Week, Some(d)) => d < clock.week_end,
        }
    }

    /// The tasks this view shows, in its order.
    pub fn apply<'a, T: AsRef<Task>>(&self, tasks: &'a [T], me: &str, clock: &Clock) -> Vec<&'a T> {
        let mut out: Vec<&T> = tasks
            .iter()
            .filter(|t| self.keeps(t.as_ref(), me, clock))
            .collect();
        out.sort_by(|a, b| {
            let (a, b) = (a.as_ref(), b.as_ref());
            let due = |t: &Task| (t.due_ms.is_none(), t.due_ms.unwrap_or_default());
            let order = match self.sort {
                Sort::Due => due(a).cmp(&due(b)),
                Sort::Priority => a.priority.cmp(&b.priority).then(due(a).cmp(&due(b))),
                Sort::Created => b.number.cmp(&a.number),
                Sort::Title => a.title.to_lowercase().cmp(&b.title.to_lowercase()),
                Sort::Status => a.status.cmp(&b.status).then(due(a).cmp(&due(b))),
            };
            let order = order.then(a.number.cmp(&b.number));
            if self.desc { order.reverse() } else { order }
        });
        out
    }
}

/// The instants "today" and "this week" are measured against, in the organization's zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    pub now: i64,
    /// When tomorrow begins.
    pub tomorrow_start: i64,
    /// Seven days after today begins.
    pub week_end: i64,
}

impl AsRef<Task> for Task {
    fn as_ref(&self) -> &Task {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testkit::{person, task};

    const H: i64 = 3_600_000;

    fn clock() -> Clock {
        Clock {
            now: 10 * H,
            tomorrow_start: 24 * H,
            week_end: 7 * 24 * H,
        }
    }

    fn tasks() -> Vec<Task> {
        let mut a = task();
        a.number = 1;
        a.title = "b overdue".into();
        a.due_ms = Some(5 * H);
        a.priority = Priority::P3;
        a.assignees = vec![person("me")];
        let mut b = task();
        b.number = 2;
        b.title = "A later".into();
        b.due_ms = Some(48 * H);
        b.priority = Priority::P0;
        let mut c = task();
        c.number = 3;
        c.title = "c undated".into();
        c.status = Status::Done;
        c.assignees = vec![person("other")];
        vec![a, b, c]
    }

    fn numbers(view: &View) -> Vec<u64> {
        let all = tasks();
        view.apply(&all, "me", &clock())
            .into_iter()
            .map(|t| t.number)
            .collect()
    }

    #[test]
    fn query_round_trip() {
        let v = View::parse([
            ("status", "blocked,todo,nonsense"),
            ("assignee", "me"),
            ("due", "week"),
            ("priority", "p1,urgent"),
            ("sort", "priority"),
            ("order", "desc"),
            ("other", "x"),
        ]);
        assert_eq!(v.statuses, vec![Status::Todo, Status::Blocked]);
        assert_eq!(v.priorities, vec![Priority::P0, Priority::P1]);
        assert_eq!(
            v.to_query(),
            "status=todo,blocked&assignee=me&due=week&priority=p0,p1&sort=priority&order=desc"
        );
        let pairs: Vec<(String, String)> = v
            .to_query()
            .split('&')
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap();
                (k.to_owned(), v.to_owned())
            })
            .collect();
        assert_eq!(
            View::parse(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            v
        );
        assert!(View::parse([("due", "soon")]).is_default());
        assert_eq!(View::default().to_query(), "");
    }

    #[test]
    fn filters() {
        assert_eq!(numbers(&View::default()), vec![1, 2, 3]);
        let v = |k, val| View::parse([(k, val)]);
        assert_eq!(numbers(&v("status", "done")), vec![3]);
        assert_eq!(numbers(&v("assignee", "me")), vec![1]);
        assert_eq!(numbers(&v("assignee", "none")), vec![2]);
        assert_eq!(numbers(&v("assignee", "other")), vec![3]);
        assert_eq!(numbers(&v("due", "overdue")), vec![1]);
        assert_eq!(numbers(&v("due", "today")), vec![1]);
        assert_eq!(numbers(&v("due", "week")), vec![1, 2]);
        assert_eq!(numbers(&v("due", "none")), vec![3]);
        assert_eq!(numbers(&v("priority", "p0")), vec![2]);
    }

    #[test]
    fn sorts() {
        let v = |s: &str, desc: bool| {
            View::parse([("sort", s), ("order", if desc { "desc" } else { "asc" })])
        };
        assert_eq!(numbers(&v("due", false)), vec![1, 2, 3], "undated last");
        assert_eq!(numbers(&v("due", true)), vec![3, 2, 1]);
        assert_eq!(numbers(&v("priority", false)), vec![2, 3, 1]);
        assert_eq!(numbers(&v("created", false)), vec![3, 2, 1]);
        assert_eq!(numbers(&v("title", false)), vec![2, 1, 3]);
        assert_eq!(numbers(&v("status", false)), vec![1, 2, 3]);
    }
}
