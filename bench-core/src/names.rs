//! "Did you mean ...?" suggestions for misspelt names in configs.

/// Levenshtein edit distance between two strings (by chars).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(prev[j + 1] + 1).min(current[j] + 1);
        }
        prev = current;
    }
    prev[b.len()]
}

/// The closest candidate within a third of the name's length (at least 2 edits), if any.
pub fn did_you_mean<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .iter()
        .map(|c| (edit_distance(&name.to_lowercase(), &c.to_lowercase()), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// `unknown X `name`` plus a suggestion and the list of valid names.
pub fn unknown_name_message(what: &str, name: &str, candidates: &[&str]) -> String {
    let hint = did_you_mean(name, candidates)
        .map(|c| format!(" (did you mean `{c}`?)"))
        .unwrap_or_default();
    format!(
        "unknown {what} `{name}`{hint}; known: {}",
        candidates.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(
            did_you_mean("margn", &["random", "margin", "entropy"]),
            Some("margin")
        );
        assert_eq!(did_you_mean("zzzzzz", &["random", "margin"]), None);
        let msg = unknown_name_message("strategy", "entropi", &["entropy", "random"]);
        assert!(msg.contains("did you mean `entropy`"), "{msg}");
    }
}
