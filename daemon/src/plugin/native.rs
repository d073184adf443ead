//! A plugin library loaded into this process: the C ABI handshake and calls (see
//! `plugin-api/ABI.md`). Libraries are never unloaded: code or data of a plugin may still be
//! referenced (thread-locals, leaked statics), and unloading is a classic source of crashes.

use std::path::Path;

use termtrail_plugin_api::{Buffer, ABI_VERSION};

use super::library::Library;
use super::PluginError;

type AbiVersionFn = unsafe extern "C" fn() -> u32;
type BufferSizeFn = unsafe extern "C" fn() -> u32;
type CallFn = unsafe extern "C" fn(*const u8, usize, *const u8, usize, *mut Buffer) -> i32;
type FreeFn = unsafe extern "C" fn(Buffer);

/// The symbols every plugin exports.
pub const SYMBOLS: [&str; 4] = [
    "termtrail_plugin_abi_version",
    "termtrail_plugin_buffer_size",
    "termtrail_plugin_call",
    "termtrail_plugin_free",
];

/// A loaded plugin library with its entry points.
#[derive(Debug)]
pub struct NativePlugin {
    call: CallFn,
    free: FreeFn,
}

fn symbol<T: Copy>(
    lib: &'static libloading::Library,
    path: &Path,
    name: &str,
) -> Result<T, PluginError> {
    // SAFETY: the symbol's type is the one ABI.md fixes for this name; a library that exports
    // the name with another signature breaks the ABI contract, which the version check below
    // is there to catch before any call that takes arguments.
    unsafe { lib.get::<T>(name.as_bytes()) }
        .map(|s| *s)
        .map_err(|source| PluginError::MissingSymbol {
            path: path.to_owned(),
            symbol: name.to_owned(),
            source,
        })
}

impl NativePlugin {
    /// Loads the library (the content checked when it was opened, through its descriptor) and
    /// checks the ABI version and the buffer layout, before anything else.
    pub fn load(library: Library) -> Result<Self, PluginError> {
        let path = &library.path().to_owned();
        let loader_path = library.keep_open();
        // SAFETY: loading runs the library's initialisers; loading a plugin means trusting its
        // code, which is why the config can pin its SHA-256 and run it in a separate process.
        let lib = unsafe { libloading::Library::new(&loader_path) }.map_err(|source| {
            PluginError::Open {
                path: path.to_owned(),
                source,
            }
        })?;
        // Leaked on purpose: never unloaded (see the module documentation).
        let lib: &'static libloading::Library = Box::leak(Box::new(lib));
        let abi: AbiVersionFn = symbol(lib, path, SYMBOLS[0])?;
        // SAFETY: takes no arguments and returns a u32 in every ABI version.
        let version = unsafe { abi() };
        if version != ABI_VERSION {
            return Err(PluginError::AbiMismatch {
                path: path.to_owned(),
                plugin: version,
                host: ABI_VERSION,
            });
        }
        let size: BufferSizeFn = symbol(lib, path, SYMBOLS[1])?;
        // SAFETY: as above, no arguments.
        let size = unsafe { size() };
        let host_size = std::mem::size_of::<Buffer>() as u32;
        if size != host_size {
            return Err(PluginError::BufferSize {
                path: path.to_owned(),
                plugin: size,
                host: host_size,
                abi: ABI_VERSION,
            });
        }
        Ok(Self {
            call: symbol(lib, path, SYMBOLS[2])?,
            free: symbol(lib, path, SYMBOLS[3])?,
        })
    }

    /// Calls `method` with JSON `input`; returns the raw output envelope (JSON bytes, unchecked).
    pub fn call_raw(&self, method: &str, input: &[u8]) -> Vec<u8> {
        let mut out = Buffer::empty();
        // SAFETY: both slices are live for the call; `out` is a valid, writable Buffer. The
        // plugin catches its own panics (export_plugin!), so nothing unwinds into us.
        let _rc = unsafe {
            (self.call)(
                method.as_ptr(),
                method.len(),
                input.as_ptr(),
                input.len(),
                &mut out,
            )
        };
        // SAFETY: the plugin filled `out` with a buffer valid for `len` bytes (or null).
        let bytes = unsafe { out.as_slice() }.to_vec();
        // SAFETY: `out` came from this library's call and is freed exactly once, by it.
        unsafe { (self.free)(out) };
        bytes
    }
}
