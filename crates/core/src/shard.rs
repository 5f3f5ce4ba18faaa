//! Which part of a scan one shard runs (`scour scan --shard K/N`).
//!
//! The work is cut into units: a whole file, or one row group of a Parquet
//! file large enough to be worth splitting. Units are dealt out in file
//! order, each to the shard with the fewest bytes so far (the lowest index
//! on a tie), so the split depends only on the file list and N: every
//! shard computes the same plan on its own, with no coordinator.

use std::fmt;
use std::str::FromStr;

use crate::source::{parquet, Format, SourceFile};

/// A Parquet file at least this large, with two or more row groups, is
/// split by row group; smaller files go to one shard whole.
pub const SPLIT_BYTES: u64 = 64 << 20;

/// Shard K of N, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `K/N` with 1 ≤ K ≤ N.
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("{s:?}: expected K/N with 1 <= K <= N, e.g. 2/8");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let index: u32 = k.trim().parse().map_err(|_| bad())?;
        let count: u32 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl Shard {
    /// The shard a batch scheduler assigned to this process: a Slurm array
    /// task (`SLURM_ARRAY_TASK_ID` of `SLURM_ARRAY_TASK_COUNT`, with
    /// `SLURM_ARRAY_TASK_MIN` as the first id) or a Kubernetes indexed Job
    /// (`JOB_COMPLETION_INDEX`, 0-based, of `count`, since Kubernetes does
    /// not expose the completion count to the pod).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Shard, String> {
        let num = |name: &str| -> Result<Option<u32>, String> {
            match get(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| format!("{name}={v:?} is not a number")),
            }
        };
        if let Some(id) = num("SLURM_ARRAY_TASK_ID")? {
            let count = num("SLURM_ARRAY_TASK_COUNT")?
                .ok_or("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not")?;
            let min = num("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
            let index = id
                .checked_sub(min)
                .map(|i| i + 1)
                .filter(|&i| i >= 1 && i <= count)
                .ok_or_else(|| {
                    format!("SLURM_ARRAY_TASK_ID={id} is outside the array (min {min}, count {count}); use --array=0-{}", count.saturating_sub(1))
                })?;
            return Ok(Shard { index, count });
        }
        if let Some(i) = num("JOB_COMPLETION_INDEX")? {
            let count = num("SCOUR_SHARD_COUNT")?.ok_or(
                "JOB_COMPLETION_INDEX is set: give the Job's completions as SCOUR_SHARD_COUNT",
            )?;
            if i >= count {
                return Err(format!(
                    "JOB_COMPLETION_INDEX={i} is not below SCOUR_SHARD_COUNT={count}"
                ));
            }
            return Ok(Shard {
                index: i + 1,
                count,
            });
        }
        Err("--shard auto: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set".into())
    }
}

/// What one shard does with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilePlan {
    /// Another shard scans it.
    Skip,
    /// This shard scans all of it and owns its provenance.
    Whole,
    /// Split by row group: this shard scans the row groups marked true and
    /// owns the file's provenance when `tail` (it has row group 0).
    RowGroups {
        owned: Vec<bool>,
        rows: Vec<u64>,
        tail: bool,
    },
}

impl FilePlan {
    /// Whether this shard reports the file's provenance.
    pub fn owns_tail(&self) -> bool {
        match self {
            FilePlan::Skip => false,
            FilePlan::Whole => true,
            FilePlan::RowGroups { tail, .. } => *tail,
        }
    }
}

/// One shard's part of the work, per file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardPlan {
    pub files: Vec<FilePlan>,
}

/// Plan shard `shard` over `files` (discovery's sorted list). Parquet files
/// of at least `split_bytes` with two or more row groups are split by row
/// group, the unit's weight being the row group's compressed size; a file
/// whose footer cannot be read is one unit (its error is reported once).
pub fn plan(files: &[SourceFile], shard: Shard, split_bytes: u64) -> ShardPlan {
    let n = shard.count.max(1) as usize;
    let me = shard.index as usize - 1;
    let mut load = vec![0u64; n];
    let mut take = |weight: u64| -> bool {
        let (k, _) = load
            .iter()
            .enumerate()
            .min_by_key(|&(i, &l)| (l, i))
            .unwrap_or((0, &0));
        load[k] += weight.max(1);
        k == me
    };
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let groups = if f.format == Format::Parquet && f.size >= split_bytes {
            parquet::plan(&f.path)
                .ok()
                .filter(|p| p.row_group_rows.len() >= 2)
        } else {
            None
        };
        out.push(match groups {
            Some(p) => {
                let owned: Vec<bool> = p.row_group_bytes.iter().map(|&b| take(b)).collect();
                let tail = owned[0];
                if owned.iter().any(|&o| o) {
                    FilePlan::RowGroups {
                        owned,
                        rows: p.row_group_rows,
                        tail,
                    }
                } else {
                    FilePlan::Skip
                }
            }
            None => {
                if take(f.size) {
                    FilePlan::Whole
                } else {
                    FilePlan::Skip
                }
            }
        });
    }
    ShardPlan { files: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_specs_parse_and_bad_ones_are_refused() {
        assert_eq!("2/8".parse::<Shard>(), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/4", "5/4", "1", "a/b", "1/0", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn schedulers_name_the_shard() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        let slurm: &[(&str, &str)] = &[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(slurm)),
            Ok(Shard { index: 4, count: 4 })
        );
        let slurm1: &[(&str, &str)] = &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ];
        assert_eq!(
            Shard::from_env(env(slurm1)),
            Ok(Shard { index: 1, count: 4 })
        );
        let k8s: &[(&str, &str)] = &[("JOB_COMPLETION_INDEX", "0"), ("SCOUR_SHARD_COUNT", "3")];
        assert_eq!(Shard::from_env(env(k8s)), Ok(Shard { index: 1, count: 3 }));
        assert!(Shard::from_env(env(&[("JOB_COMPLETION_INDEX", "0")])).is_err());
        assert!(Shard::from_env(env(&[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4")
        ]))
        .is_err());
        assert!(Shard::from_env(env(&[])).is_err());
    }
}
