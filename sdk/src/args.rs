//! Command arguments: words separated by spaces; "double quotes" keep spaces together.

/// Parsed command arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Args {
    raw: String,
    words: Vec<String>,
}

impl Args {
    pub fn parse(raw: &str) -> Self {
        let mut words = Vec::new();
        let mut current = String::new();
        let mut quoted = false;
        let mut pending = false;
        for c in raw.chars() {
            match c {
                '"' | '“' | '”' => {
                    quoted = !quoted;
                    pending = true;
                }
                c if c.is_whitespace() && !quoted => {
                    if pending || !current.is_empty() {
                        words.push(std::mem::take(&mut current));
                    }
                    pending = false;
                }
                c => {
                    current.push(c);
                    pending = true;
                }
            }
        }
        if pending || !current.is_empty() {
            words.push(current);
        }
        Self {
            raw: raw.to_owned(),
            words,
        }
    }

    /// The text after the command, as typed.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    pub fn get(&self, i: usize) -> Option<&str> {
        self.words.get(i).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.words.iter().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_quotes() {
        let a = Args::parse(r#""Lunch today?" Noodles  Dumplings "" 米饭"#);
        assert_eq!(
            a.iter().collect::<Vec<_>>(),
            vec!["Lunch today?", "Noodles", "Dumplings", "", "米饭"]
        );
        assert!(Args::parse("   ").is_empty());
        assert_eq!(Args::parse("“全角 引号” x").get(0), Some("全角 引号"));
    }
}
