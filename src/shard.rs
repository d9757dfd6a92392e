//! Shards for job arrays: `--shard I/N` keeps the I-th of N deterministic
//! parts of a run, and [`crate::merge`] combines the parts into exactly what
//! one run writes.
//!
//! Several tasks are split by task id: the distinct ids in sorted order are
//! dealt round-robin, so shard I gets the ids at sorted positions I-1,
//! I-1+N, ... One task is split by candidate index the same way: shard I
//! gets candidates I-1, I-1+N, ... (0-based indices in the candidates file),
//! which spreads long and short programs evenly and needs no count up
//! front, so huge files still stream.

use crate::task::Task;
use std::fmt;
use std::str::FromStr;

/// The I-th of N parts (1 <= I <= N).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

/// A shard that does not parse.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("`{0}` is not a shard: expected I/N, such as 2/8")]
    Syntax(String),
    #[error("shard {index}/{count}: I must be between 1 and N")]
    Range { index: usize, count: usize },
}

impl Shard {
    /// The `index`-th (1-based) of `count` shards.
    pub fn new(index: usize, count: usize) -> Result<Shard, ShardError> {
        if count == 0 || index == 0 || index > count {
            return Err(ShardError::Range { index, count });
        }
        Ok(Shard { index, count })
    }
    /// I, 1-based.
    pub fn index(&self) -> usize {
        self.index
    }
    /// N.
    pub fn count(&self) -> usize {
        self.count
    }
    /// Whether position `i` (0-based) of a sequence falls in this shard.
    pub fn owns(&self, i: usize) -> bool {
        i % self.count == self.index - 1
    }
    /// This shard's tasks: the distinct task ids in sorted order, dealt
    /// round-robin (every task of an id goes with it), in their given order.
    pub fn select_tasks(&self, tasks: Vec<Task>) -> Vec<Task> {
        let mut ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        let mine: std::collections::HashSet<String> = ids
            .iter()
            .enumerate()
            .filter(|(k, _)| self.owns(*k))
            .map(|(_, id)| id.to_string())
            .collect();
        tasks.into_iter().filter(|t| mine.contains(&t.id)).collect()
    }
}

impl FromStr for Shard {
    type Err = ShardError;
    fn from_str(s: &str) -> Result<Shard, ShardError> {
        let syntax = || ShardError::Syntax(s.to_string());
        let (i, n) = s.trim().split_once('/').ok_or_else(syntax)?;
        let i: usize = i.trim().parse().map_err(|_| syntax())?;
        let n: usize = n.trim().parse().map_err(|_| syntax())?;
        Shard::new(i, n)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use crate::task::Pair;

    fn task(id: &str) -> Task {
        let g = Grid::filled(1, 1, 0);
        Task {
            id: id.into(),
            train: vec![Pair {
                input: g.clone(),
                output: g,
            }],
            test: vec![],
        }
    }

    #[test]
    fn parses_and_checks_range() {
        assert_eq!("2/8".parse::<Shard>().unwrap(), Shard::new(2, 8).unwrap());
        assert_eq!(" 1 / 1 ".parse::<Shard>().unwrap().to_string(), "1/1");
        assert_eq!(
            "0/3".parse::<Shard>().unwrap_err().to_string(),
            "shard 0/3: I must be between 1 and N"
        );
        assert!(matches!(
            "4/3".parse::<Shard>(),
            Err(ShardError::Range { .. })
        ));
        assert!(matches!(
            "1/0".parse::<Shard>(),
            Err(ShardError::Range { .. })
        ));
        for bad in ["", "3", "a/b", "1/2/3", "-1/2"] {
            assert!(
                matches!(bad.parse::<Shard>(), Err(ShardError::Syntax(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn shards_partition_indices_and_tasks() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::new(i, 3).unwrap()).collect();
        for i in 0..100 {
            assert_eq!(shards.iter().filter(|s| s.owns(i)).count(), 1);
        }
        // Given out of order: dealt by sorted id, returned in given order.
        let tasks: Vec<Task> = ["d", "a", "c", "b", "e"].iter().map(|i| task(i)).collect();
        let ids = |s: &Shard| -> Vec<String> {
            s.select_tasks(tasks.clone())
                .into_iter()
                .map(|t| t.id)
                .collect()
        };
        assert_eq!(ids(&shards[0]), ["d", "a"]);
        assert_eq!(ids(&shards[1]), ["b", "e"]);
        assert_eq!(ids(&shards[2]), ["c"]);
        assert!(Shard::new(9, 9).unwrap().select_tasks(tasks).is_empty());
    }
}
