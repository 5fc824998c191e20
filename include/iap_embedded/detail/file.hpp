// SPDX-License-Identifier: MIT
//
// The one small file layer the ledger goes through. Every file operation the ledger performs is a
// call on `file_system`, so that tests can substitute an implementation that fails the k-th write,
// sync or rename. The POSIX implementation is in file_posix.hpp, the Windows one in
// file_windows.hpp; `default_file_system()` returns the one for this platform.
#ifndef IAP_EMBEDDED_DETAIL_FILE_HPP
#define IAP_EMBEDDED_DETAIL_FILE_HPP

#include "iap_embedded/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

/// An open file: a POSIX descriptor or a Windows HANDLE, stored as an integer.
using native_file = std::intptr_t;

/// The file operations of the ledger. Every failing call returns `io_error` with the operation,
/// the path when known and the system's explanation, except `lock`, which returns
/// `ledger_locked` when another process (or another open of the same file) holds the lock.
class file_system {
public:
    virtual ~file_system() = default;

    /// Opens `path` for reading and writing, creating it (empty) when `create` is set and it does
    /// not exist. Never truncates.
    virtual result<native_file> open(const std::string& path, bool create) = 0;
    /// Closes `f`; releases its lock.
    virtual void close(native_file f) noexcept = 0;
    /// The file's size in bytes.
    virtual result<std::uint64_t> size(native_file f) = 0;
    /// Reads up to `n` bytes at `offset`; fewer only at the end of the file.
    virtual result<std::size_t> read_at(native_file f, std::uint64_t offset, void* buffer, std::size_t n) = 0;
    /// Writes all `n` bytes at `offset`.
    virtual result<void> write_at(native_file f, std::uint64_t offset, const void* data, std::size_t n) = 0;
    /// Makes the file's data and size durable (fdatasync; F_FULLFSYNC on Apple; FlushFileBuffers).
    virtual result<void> sync(native_file f) = 0;
    /// Sets the file's size.
    virtual result<void> truncate(native_file f, std::uint64_t size) = 0;
    /// Takes an exclusive, non-blocking lock that the system releases when the process dies.
    virtual result<void> lock(native_file f) = 0;
    /// Whether `path` currently names the file open as `f` (false when it names another file or
    /// nothing): a lock taken on a file that was meanwhile renamed over protects nothing.
    virtual result<bool> is_current(native_file f, const std::string& path) = 0;
    /// Atomically replaces `to` with `from`.
    virtual result<void> rename(const std::string& from, const std::string& to) = 0;
    /// Makes the directory entry of `path` (a rename or a creation) durable.
    virtual result<void> sync_directory_of(const std::string& path) = 0;
    /// Removes `path`; succeeds when it does not exist.
    virtual result<void> remove(const std::string& path) = 0;
};

/// The platform's file layer (a process-wide object without state).
inline file_system& default_file_system() noexcept;

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#if defined(_WIN32)
#include "iap_embedded/detail/file_windows.hpp"
#else
#include "iap_embedded/detail/file_posix.hpp"
#endif

#endif // IAP_EMBEDDED_DETAIL_FILE_HPP
