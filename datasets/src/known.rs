//! The public data sets `sieve data fetch` downloads: their official files, sizes and
//! SHA-256 checksums (pinned here, as TensorFlow Datasets records them for the same
//! URLs), and where fetched data lives by default. A config may name one of them with no
//! `source` and no `path`: it is read from the default folder.

use std::path::PathBuf;

use crate::spec::DatasetSource;

/// One file of a data set's release.
#[derive(Clone, Copy, Debug)]
pub struct KnownFile {
    /// The file name (also the last part of the URL).
    pub name: &'static str,
    /// The official URL.
    pub url: &'static str,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: &'static str,
}

/// A data set `sieve data fetch` knows.
#[derive(Clone, Copy, Debug)]
pub struct KnownDataset {
    /// The name in configs and on the command line.
    pub name: &'static str,
    /// The loader that reads the fetched folder.
    pub source: DatasetSource,
    pub files: &'static [KnownFile],
    /// The files are `.tar.gz` archives to unpack into the folder (CIFAR); otherwise
    /// the loader reads them as they are (gzipped IDX).
    pub archive: bool,
    /// Where the data set is described (licence, citation).
    pub homepage: &'static str,
}

/// Every data set `sieve data fetch` can download.
pub const KNOWN_DATASETS: &[KnownDataset] = &[
    KnownDataset {
        name: "mnist",
        source: DatasetSource::Idx,
        files: &[
            KnownFile {
                name: "train-images-idx3-ubyte.gz",
                url: "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz",
                size: 9_912_422,
                sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            },
            KnownFile {
                name: "train-labels-idx1-ubyte.gz",
                url: "https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz",
                size: 28_881,
                sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            },
            KnownFile {
                name: "t10k-images-idx3-ubyte.gz",
                url: "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
                size: 1_648_877,
                sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            },
            KnownFile {
                name: "t10k-labels-idx1-ubyte.gz",
                url: "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
                size: 4_542,
                sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
            },
        ],
        archive: false,
        homepage: "http://yann.lecun.com/exdb/mnist/",
    },
    KnownDataset {
        name: "fashion-mnist",
        source: DatasetSource::Idx,
        files: &[
            KnownFile {
                name: "train-images-idx3-ubyte.gz",
                url: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz",
                size: 26_421_880,
                sha256: "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            },
            KnownFile {
                name: "train-labels-idx1-ubyte.gz",
                url: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz",
                size: 29_515,
                sha256: "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            },
            KnownFile {
                name: "t10k-images-idx3-ubyte.gz",
                url: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz",
                size: 4_422_102,
                sha256: "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            },
            KnownFile {
                name: "t10k-labels-idx1-ubyte.gz",
                url: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz",
                size: 5_148,
                sha256: "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
            },
        ],
        archive: false,
        homepage: "https://github.com/zalandoresearch/fashion-mnist",
    },
    KnownDataset {
        name: "kmnist",
        source: DatasetSource::Idx,
        files: &[
            KnownFile {
                name: "train-images-idx3-ubyte.gz",
                url: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/train-images-idx3-ubyte.gz",
                size: 18_165_135,
                sha256: "51467d22d8cc72929e2a028a0428f2086b092bb31cfb79c69cc0a90ce135fde4",
            },
            KnownFile {
                name: "train-labels-idx1-ubyte.gz",
                url: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/train-labels-idx1-ubyte.gz",
                size: 29_497,
                sha256: "e38f9ebcd0f3ebcdec7fc8eabdcdaef93bb0df8ea12bee65224341c8183d8e17",
            },
            KnownFile {
                name: "t10k-images-idx3-ubyte.gz",
                url: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/t10k-images-idx3-ubyte.gz",
                size: 3_041_136,
                sha256: "edd7a857845ad6bb1d0ba43fe7e794d164fe2dce499a1694695a792adfac43c5",
            },
            KnownFile {
                name: "t10k-labels-idx1-ubyte.gz",
                url: "http://codh.rois.ac.jp/kmnist/dataset/kmnist/t10k-labels-idx1-ubyte.gz",
                size: 5_120,
                sha256: "20bb9a0ef54c7db3efc55a92eef5582c109615df22683c380526788f98e42a1c",
            },
        ],
        archive: false,
        homepage: "https://github.com/rois-codh/kmnist",
    },
    KnownDataset {
        name: "cifar10",
        source: DatasetSource::Cifar10,
        files: &[KnownFile {
            name: "cifar-10-binary.tar.gz",
            url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
            size: 170_052_171,
            sha256: "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd",
        }],
        archive: true,
        homepage: "https://www.cs.toronto.edu/~kriz/cifar.html",
    },
    KnownDataset {
        name: "cifar100",
        source: DatasetSource::Cifar100,
        files: &[KnownFile {
            name: "cifar-100-binary.tar.gz",
            url: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
            size: 168_513_733,
            sha256: "58a81ae192c23a4be8b1804d68e518ed807d710a4eb253b1f2a199162a40d8ec",
        }],
        archive: true,
        homepage: "https://www.cs.toronto.edu/~kriz/cifar.html",
    },
];

/// The names `sieve data fetch` accepts.
pub fn known_names() -> Vec<&'static str> {
    KNOWN_DATASETS.iter().map(|d| d.name).collect()
}

/// The known data set called `name`.
pub fn known_dataset(name: &str) -> Option<&'static KnownDataset> {
    KNOWN_DATASETS.iter().find(|d| d.name == name)
}

/// The environment variable that overrides where fetched data lives.
pub const DATA_DIR_ENV: &str = "SIEVE_DATA_DIR";

/// Where `sieve data fetch` puts data by default, one folder per data set:
/// `$SIEVE_DATA_DIR`, else `$XDG_DATA_HOME/sieve`, else `~/.local/share/sieve`, else
/// `./sieve-data`.
pub fn default_data_dir() -> PathBuf {
    let from = |var: &str| {
        std::env::var_os(var)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    from(DATA_DIR_ENV)
        .or_else(|| from("XDG_DATA_HOME").map(|d| d.join("sieve")))
        .or_else(|| from("HOME").map(|h| h.join(".local/share/sieve")))
        .unwrap_or_else(|| PathBuf::from("sieve-data"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pin_is_well_formed() {
        for d in KNOWN_DATASETS {
            assert!(!d.files.is_empty(), "{}", d.name);
            for f in d.files {
                assert_eq!(f.sha256.len(), 64, "{}", f.name);
                assert!(f
                    .sha256
                    .chars()
                    .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
                assert!(f.url.ends_with(f.name), "{}", f.url);
                assert!(f.size > 0);
                assert_eq!(f.name.ends_with(".tar.gz"), d.archive, "{}", f.name);
            }
        }
        assert!(known_dataset("fashion-mnist").is_some());
        assert!(known_dataset("imagenet").is_none());
    }
}
