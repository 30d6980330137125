//! Which bytes of the file no part of the archive accounts for, and members
//! whose bytes overlap.

/// What a byte range of the file belongs to.
#[derive(Debug, Clone, PartialEq)]
pub enum Owner {
    /// A member: its index in the central directory.
    Member(usize),
    /// The central directory or an end record.
    Structure(&'static str),
}

#[derive(Debug, Clone)]
pub struct Span {
    pub start: u64,
    pub end: u64,
    pub owner: Owner,
}

#[derive(Debug, Default, PartialEq)]
pub struct Layout {
    /// `[start, end)` ranges nothing owns.
    pub gaps: Vec<(u64, u64)>,
    /// Two owners sharing bytes from `offset` on.
    pub overlaps: Vec<(Owner, Owner, u64)>,
}

pub fn analyze(mut spans: Vec<Span>, size: u64) -> Layout {
    spans.sort_by_key(|s| (s.start, s.end));
    let mut layout = Layout::default();
    let mut covered = 0u64;
    let mut furthest: Option<Owner> = None;
    for span in spans {
        if span.start > covered {
            layout.gaps.push((covered, span.start));
        } else if span.start < covered
            && let Some(previous) = &furthest
        {
            layout
                .overlaps
                .push((previous.clone(), span.owner.clone(), span.start));
        }
        if span.end > covered {
            covered = span.end;
            furthest = Some(span.owner);
        }
    }
    if covered < size {
        layout.gaps.push((covered, size));
    }
    layout
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: u64, end: u64, owner: Owner) -> Span {
        Span { start, end, owner }
    }

    #[test]
    fn gaps_before_between_and_after() {
        let layout = analyze(
            vec![
                span(40, 50, Owner::Structure("end")),
                span(10, 20, Owner::Member(0)),
                span(25, 40, Owner::Member(1)),
            ],
            60,
        );
        assert_eq!(layout.gaps, vec![(0, 10), (20, 25), (50, 60)]);
        assert!(layout.overlaps.is_empty());
    }

    #[test]
    fn shared_bytes_are_overlaps() {
        let layout = analyze(
            vec![
                span(0, 100, Owner::Member(0)),
                span(30, 100, Owner::Member(1)),
                span(100, 120, Owner::Structure("central directory")),
            ],
            120,
        );
        assert_eq!(
            layout.overlaps,
            vec![(Owner::Member(0), Owner::Member(1), 30)]
        );
        assert!(layout.gaps.is_empty());
    }
}
