//! The zip the upload flow sends: one stored (uncompressed) `amp.yaml` entry, and the base64
//! MD5 of the zip that `generateUploadUrl` and the signed URL's `Content-MD5` header expect.
//!
//! One stored entry is about a hundred bytes of headers, so it is written here rather than
//! through a zip crate: the layout is fixed (PKWARE APPNOTE 4.3: local file header, data,
//! central directory header, end of central directory record), and the timestamp is fixed too,
//! so the same YAML always gives the same bytes and the same MD5.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};

/// The name the CLI gives the manifest inside the zip.
const ENTRY_NAME: &str = "amp.yaml";

const LOCAL_FILE_HEADER: u32 = 0x0403_4b50;
const CENTRAL_DIRECTORY_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL_DIRECTORY: u32 = 0x0605_4b50;
/// Version 2.0 of the format, the first a stored file needs to name here.
const VERSION_NEEDED: u16 = 20;
/// Made on Unix (high byte 3), format version 2.0.
const VERSION_MADE_BY: u16 = (3 << 8) | 20;
/// Regular file, mode 0644, in the high half of the external attributes.
const EXTERNAL_ATTRIBUTES: u32 = 0o100_644 << 16;
const METHOD_STORED: u16 = 0;
/// 00:00:00 in MS-DOS time.
const DOS_TIME: u16 = 0;
/// 1980-01-01 in MS-DOS date (the earliest date it can hold).
const DOS_DATE: u16 = (1 << 5) | 1;

/// A zip holding `amp.yaml`, ready for the upload flow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadArchive {
    bytes: Vec<u8>,
    content_md5: String,
}

impl UploadArchive {
    /// Zips `yaml` as `amp.yaml`, unchanged (comments and layout kept).
    ///
    /// # Panics
    ///
    /// If `yaml` is 4 GiB or larger, which a zip without ZIP64 records cannot hold.
    pub fn from_yaml(yaml: &str) -> Self {
        let bytes = stored_zip(ENTRY_NAME, yaml.as_bytes());
        let content_md5 = STANDARD.encode(Md5::digest(&bytes));
        UploadArchive { bytes, content_md5 }
    }

    /// The zip file.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The zip file, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The standard base64 of the zip's MD5: the `md5` of `generateUploadUrl` and the
    /// `Content-MD5` header of the upload.
    pub fn content_md5(&self) -> &str {
        &self.content_md5
    }
}

/// A zip archive with one stored entry.
fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32fast::hash(data);
    let size = u32::try_from(data.len()).expect("amp.yaml is smaller than 4 GiB");
    let name_len = u16::try_from(name.len()).expect("the entry name is short");

    let mut zip = Vec::with_capacity(data.len() + 2 * name.len() + 98);
    put32(&mut zip, LOCAL_FILE_HEADER);
    put16(&mut zip, VERSION_NEEDED);
    put16(&mut zip, 0); // flags
    put16(&mut zip, METHOD_STORED);
    put16(&mut zip, DOS_TIME);
    put16(&mut zip, DOS_DATE);
    put32(&mut zip, crc);
    put32(&mut zip, size); // compressed size
    put32(&mut zip, size); // uncompressed size
    put16(&mut zip, name_len);
    put16(&mut zip, 0); // extra field length
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(data);

    let central_directory_offset =
        u32::try_from(zip.len()).expect("amp.yaml is smaller than 4 GiB");
    put32(&mut zip, CENTRAL_DIRECTORY_HEADER);
    put16(&mut zip, VERSION_MADE_BY);
    put16(&mut zip, VERSION_NEEDED);
    put16(&mut zip, 0); // flags
    put16(&mut zip, METHOD_STORED);
    put16(&mut zip, DOS_TIME);
    put16(&mut zip, DOS_DATE);
    put32(&mut zip, crc);
    put32(&mut zip, size);
    put32(&mut zip, size);
    put16(&mut zip, name_len);
    put16(&mut zip, 0); // extra field length
    put16(&mut zip, 0); // comment length
    put16(&mut zip, 0); // disk number start
    put16(&mut zip, 0); // internal attributes
    put32(&mut zip, EXTERNAL_ATTRIBUTES);
    put32(&mut zip, 0); // offset of the local header
    zip.extend_from_slice(name.as_bytes());
    let central_directory_size =
        u32::try_from(zip.len()).expect("checked above") - central_directory_offset;

    put32(&mut zip, END_OF_CENTRAL_DIRECTORY);
    put16(&mut zip, 0); // this disk
    put16(&mut zip, 0); // disk with the central directory
    put16(&mut zip, 1); // entries on this disk
    put16(&mut zip, 1); // entries in all
    put32(&mut zip, central_directory_size);
    put32(&mut zip, central_directory_offset);
    put16(&mut zip, 0); // comment length
    zip
}

fn put16(out: &mut Vec<u8>, value: u16) {
    out.extend_from_slice(&value.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}
