//! Which plugins see a file: by magic bytes, then the parent's format hint, then
//! the file-name extension, all from the claims plugins declared up front.

use crate::sandbox::FormatClaim;

/// Format claims of every loaded plugin, indexed by plugin position.
pub struct Router {
    claims: Vec<(usize, FormatClaim)>,
    /// Bytes of a file's start needed to test every magic.
    prefix_len: usize,
}

/// A plugin chosen for a file, and the format it claimed it as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub plugin: usize,
    pub format: String,
}

impl Router {
    pub fn new(claims: impl IntoIterator<Item = (usize, FormatClaim)>) -> Self {
        let claims: Vec<_> = claims.into_iter().collect();
        let prefix_len = claims
            .iter()
            .flat_map(|(_, c)| &c.magic)
            .map(|(offset, bytes)| *offset as usize + bytes.len())
            .max()
            .unwrap_or(0);
        Router { claims, prefix_len }
    }

    pub fn prefix_len(&self) -> usize {
        self.prefix_len
    }

    /// Plugins claiming the file, each once, in order: magic, hint, extension.
    pub fn route(&self, prefix: &[u8], name: &str, hint: Option<&str>) -> Vec<Route> {
        let name = name.to_ascii_lowercase();
        let by_magic = |c: &FormatClaim| {
            c.magic.iter().any(|(offset, bytes)| {
                prefix.get(*offset as usize..*offset as usize + bytes.len())
                    == Some(bytes.as_slice())
            })
        };
        let by_hint = |c: &FormatClaim| hint.is_some_and(|h| h.eq_ignore_ascii_case(&c.name));
        let by_extension = |c: &FormatClaim| {
            c.extensions.iter().any(|ext| {
                name.len() > ext.len() + 1
                    && name.ends_with(&ext.to_ascii_lowercase())
                    && name.as_bytes()[name.len() - ext.len() - 1] == b'.'
            })
        };
        let mut routes: Vec<Route> = Vec::new();
        for test in [
            &by_magic as &dyn Fn(&FormatClaim) -> bool,
            &by_hint,
            &by_extension,
        ] {
            for (plugin, claim) in &self.claims {
                if test(claim) && !routes.iter().any(|r| r.plugin == *plugin) {
                    routes.push(Route {
                        plugin: *plugin,
                        format: claim.name.clone(),
                    });
                }
            }
        }
        routes
    }

    /// Plugins that asked to sniff files nothing claimed, excluding `tried`.
    pub fn sniffers(&self, tried: &[Route]) -> Vec<Route> {
        let mut routes: Vec<Route> = Vec::new();
        for (plugin, claim) in &self.claims {
            if claim.sniff && !tried.iter().chain(&routes).any(|r| r.plugin == *plugin) {
                routes.push(Route {
                    plugin: *plugin,
                    format: claim.name.clone(),
                });
            }
        }
        routes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim(name: &str, ext: &[&str], magic: &[(u64, &[u8])], sniff: bool) -> FormatClaim {
        FormatClaim {
            name: name.into(),
            extensions: ext.iter().map(|s| s.to_string()).collect(),
            magic: magic.iter().map(|(o, b)| (*o, b.to_vec())).collect(),
            sniff,
        }
    }

    fn router() -> Router {
        Router::new([
            (
                0,
                claim("zip", &["zip", "npz"], &[(0, b"PK\x03\x04")], false),
            ),
            (
                1,
                claim("tar", &["tar", "tar.gz"], &[(257, b"ustar")], false),
            ),
            (2, claim("pickle", &["pkl", "bin"], &[], true)),
            (3, claim("safetensors", &["safetensors"], &[], true)),
        ])
    }

    fn plugins(routes: Vec<Route>) -> Vec<usize> {
        routes.into_iter().map(|r| r.plugin).collect()
    }

    #[test]
    fn magic_then_hint_then_extension() {
        let r = router();
        assert_eq!(r.prefix_len(), 262);
        assert_eq!(
            plugins(r.route(b"PK\x03\x04rest", "model.bin", None)),
            vec![0, 2]
        );
        assert_eq!(plugins(r.route(b"", "x", Some("pickle"))), vec![2]);
        assert_eq!(plugins(r.route(b"", "archive/data.PKL", None)), vec![2]);
    }

    #[test]
    fn extensions_match_whole_suffixes_only() {
        let r = router();
        assert_eq!(plugins(r.route(b"", "model.tar.gz", None)), vec![1]);
        assert!(r.route(b"", "mytar", None).is_empty());
        assert!(r.route(b"", ".pkl", None).is_empty());
        assert!(r.route(b"", "file.xbin", None).is_empty());
    }

    #[test]
    fn magic_at_an_offset() {
        let mut prefix = vec![0u8; 262];
        prefix[257..262].copy_from_slice(b"ustar");
        assert_eq!(plugins(router().route(&prefix, "noext", None)), vec![1]);
        assert!(router().route(&prefix[..260], "noext", None).is_empty());
    }

    #[test]
    fn sniffers_skip_plugins_already_tried() {
        let r = router();
        let tried = r.route(b"", "a.pkl", None);
        assert_eq!(plugins(r.sniffers(&tried)), vec![3]);
        assert_eq!(plugins(r.sniffers(&[])), vec![2, 3]);
    }
}
