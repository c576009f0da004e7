//! Where the base image ends, guessed from the config history alone.
//!
//! Base images end their Dockerfile with `CMD`/`ENTRYPOINT` (`CMD ["bash"]`, `CMD ["/bin/sh"]`), and
//! start with a root filesystem import (`ADD file:… in /`, `ADD alpine-minirootfs…`, a debootstrap or
//! `debian.sh` step). So: the layers before the first `CMD`/`ENTRYPOINT` that more layers follow are
//! the base; without one, the leading root-filesystem layers are.

use crate::spec::History;

/// How the history showed the boundary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryRule {
    /// Layers before a `CMD`/`ENTRYPOINT` step that later layers follow.
    CmdBoundary,
    /// Leading root-filesystem import layers.
    RootfsImport,
}

/// The number of bottom layers of the base, and the rule that found it; `None` when the history
/// shows no boundary.
pub fn base_layers(history: &[History], layers: usize) -> Option<(u32, HistoryRule)> {
    let mut made = 0usize;
    let mut marker: Option<usize> = None;
    for h in history {
        let by = h.created_by.as_deref().unwrap_or("");
        if !h.empty_layer {
            if let Some(m) = marker
                && m > 0
            {
                return Some((count(m, layers), HistoryRule::CmdBoundary));
            }
            made += 1;
        } else if marker.is_none() && is_cmd(by) && made > 0 {
            marker = Some(made);
        }
    }
    let leading = history
        .iter()
        .filter(|h| !h.empty_layer)
        .take_while(|h| is_rootfs_import(h.created_by.as_deref().unwrap_or("")))
        .count();
    (leading > 0).then(|| (count(leading, layers), HistoryRule::RootfsImport))
}

fn count(n: usize, layers: usize) -> u32 {
    u32::try_from(n.min(layers)).unwrap_or(u32::MAX)
}

/// The instruction of a `created_by` line, without the classic builder's `/bin/sh -c #(nop)`.
fn instruction(by: &str) -> &str {
    let by = by.trim();
    let by = by.strip_prefix("/bin/sh -c").unwrap_or(by).trim_start();
    by.strip_prefix("#(nop)").unwrap_or(by).trim_start()
}

fn is_cmd(by: &str) -> bool {
    let i = instruction(by);
    i.starts_with("CMD ") || i.starts_with("CMD[") || i.starts_with("ENTRYPOINT ")
}

fn is_rootfs_import(by: &str) -> bool {
    let i = instruction(by);
    let lower = i.to_ascii_lowercase();
    (i.starts_with("ADD file:") && i.contains(" in / "))
        || (i.starts_with("ADD file:") && i.ends_with(" in /"))
        || (i.starts_with("ADD ")
            && (lower.contains("rootfs") || lower.contains(".tar"))
            && i.ends_with(" /"))
        || lower.contains("debootstrap")
        || i.starts_with("# debian.sh")
        || lower.starts_with("mkimage")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(by: &str, empty: bool) -> History {
        History {
            created_by: Some(by.to_string()),
            empty_layer: empty,
            ..History::default()
        }
    }

    #[test]
    fn classic_docker_history_ends_the_base_at_cmd() {
        let history = [
            h("/bin/sh -c #(nop) ADD file:0a1b in / ", false),
            h("/bin/sh -c #(nop)  CMD [\"bash\"]", true),
            h(
                "/bin/sh -c apt-get update && apt-get install -y curl",
                false,
            ),
            h("COPY app /app # buildkit", false),
            h("CMD [\"/app\"]", true),
        ];
        assert_eq!(
            base_layers(&history, 3),
            Some((1, HistoryRule::CmdBoundary))
        );
    }

    #[test]
    fn a_base_image_alone_is_all_base() {
        let history = [
            h("debootstrap --variant=minbase bookworm", false),
            h("CMD [\"bash\"]", true),
        ];
        assert_eq!(
            base_layers(&history, 1),
            Some((1, HistoryRule::RootfsImport))
        );
    }

    #[test]
    fn a_multi_layer_base_counts_every_layer_before_its_cmd() {
        let history = [
            h("ADD file:aa in / ", false),
            h("RUN apt-get install -y python3", false),
            h("ENV LANG=C.UTF-8", true),
            h("CMD [\"python3\"]", true),
            h("RUN pip install flask", false),
        ];
        assert_eq!(
            base_layers(&history, 3),
            Some((2, HistoryRule::CmdBoundary))
        );
    }

    #[test]
    fn no_boundary_without_markers() {
        let history = [h("RUN make", false), h("COPY . /src", false)];
        assert_eq!(base_layers(&history, 2), None);
        assert_eq!(base_layers(&[], 2), None);
    }
}
