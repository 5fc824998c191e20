// SPDX-License-Identifier: MIT
//
// The ledger's file layer on POSIX systems (Linux, Android, macOS, iOS).
#ifndef IAP_EMBEDDED_DETAIL_FILE_POSIX_HPP
#define IAP_EMBEDDED_DETAIL_FILE_POSIX_HPP

#include "iap_embedded/detail/file.hpp"

#include <cerrno>
#include <cstring>
#include <limits>
#include <string>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace iap_embedded {
inline namespace v1 {
namespace detail {

class posix_file_system final : public file_system {
public:
    result<native_file> open(const std::string& path, bool create) override {
        int flags = O_RDWR | O_CLOEXEC;
        if (create) flags |= O_CREAT;
        int fd;
        do fd = ::open(path.c_str(), flags, 0600);
        while (fd < 0 && errno == EINTR);
        if (fd < 0) return failure("open", path);
        return static_cast<native_file>(fd);
    }

    void close(native_file f) noexcept override { (void)::close(fd(f)); }

    result<std::uint64_t> size(native_file f) override {
        struct stat st;
        if (::fstat(fd(f), &st) != 0) return failure("fstat", {});
        return static_cast<std::uint64_t>(st.st_size);
    }

    result<std::size_t> read_at(native_file f, std::uint64_t offset, void* buffer, std::size_t n) override {
        if (!fits_off_t(offset, n)) return too_far("pread");
        std::size_t done = 0;
        while (done < n) {
            const ssize_t got = ::pread(fd(f), static_cast<char*>(buffer) + done, n - done,
                                        static_cast<off_t>(offset + done));
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) return failure("pread", {});
            if (got == 0) break;
            done += static_cast<std::size_t>(got);
        }
        return done;
    }

    result<void> write_at(native_file f, std::uint64_t offset, const void* data, std::size_t n) override {
        if (!fits_off_t(offset, n)) return too_far("pwrite");
        std::size_t done = 0;
        while (done < n) {
            const ssize_t put = ::pwrite(fd(f), static_cast<const char*>(data) + done, n - done,
                                         static_cast<off_t>(offset + done));
            if (put < 0 && errno == EINTR) continue;
            if (put < 0) return failure("pwrite", {});
            done += static_cast<std::size_t>(put);
        }
        return {};
    }

    result<void> sync(native_file f) override {
#if defined(__APPLE__)
        // fsync on Apple systems does not flush the drive's cache; F_FULLFSYNC does.
        if (::fcntl(fd(f), F_FULLFSYNC) == 0) return {};
        if (::fsync(fd(f)) != 0) return failure("fsync", {});
#elif defined(__linux__) || defined(__ANDROID__)
        if (::fdatasync(fd(f)) != 0) return failure("fdatasync", {});
#else
        if (::fsync(fd(f)) != 0) return failure("fsync", {});
#endif
        return {};
    }

    result<void> truncate(native_file f, std::uint64_t size) override {
        if (!fits_off_t(size, 0)) return too_far("ftruncate");
        int rc;
        do rc = ::ftruncate(fd(f), static_cast<off_t>(size));
        while (rc != 0 && errno == EINTR);
        if (rc != 0) return failure("ftruncate", {});
        return {};
    }

    result<void> lock(native_file f) override {
        // flock locks belong to the open file description: a second open in this process conflicts
        // too, and the kernel drops the lock when the process dies.
        int rc;
        do rc = ::flock(fd(f), LOCK_EX | LOCK_NB);
        while (rc != 0 && errno == EINTR);
        if (rc == 0) return {};
        if (errno == EWOULDBLOCK) return make_error(errc::ledger_locked, "the ledger is open in another process or handle");
        return failure("flock", {});
    }

    result<bool> is_current(native_file f, const std::string& path) override {
        struct stat open_st, path_st;
        if (::fstat(fd(f), &open_st) != 0) return failure("fstat", path);
        if (::stat(path.c_str(), &path_st) != 0) {
            if (errno == ENOENT) return false;
            return failure("stat", path);
        }
        return open_st.st_dev == path_st.st_dev && open_st.st_ino == path_st.st_ino;
    }

    result<void> rename(const std::string& from, const std::string& to) override {
        if (::rename(from.c_str(), to.c_str()) != 0) return failure("rename", from + " -> " + to);
        return {};
    }

    result<void> sync_directory_of(const std::string& path) override {
        const auto slash = path.find_last_of('/');
        const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
        int dfd;
        do dfd = ::open(dir.c_str(), O_RDONLY | O_CLOEXEC);
        while (dfd < 0 && errno == EINTR);
        if (dfd < 0) return failure("open directory", dir);
        const int rc = ::fsync(dfd);
        const int saved = errno;
        (void)::close(dfd);
        errno = saved;
        if (rc != 0) return failure("fsync directory", dir);
        return {};
    }

    result<void> remove(const std::string& path) override {
        if (::unlink(path.c_str()) != 0 && errno != ENOENT) return failure("unlink", path);
        return {};
    }

private:
    static int fd(native_file f) noexcept { return static_cast<int>(f); }

    /// Whether `offset + n` is a file offset `off_t` holds. A 32-bit target compiled without
    /// _FILE_OFFSET_BITS=64 (Debian 12 armhf, older Android) has a 32-bit `off_t`: a larger
    /// offset would wrap to the start of the file instead of failing.
    static bool fits_off_t(std::uint64_t offset, std::size_t n) noexcept {
        constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<off_t>::max());
        return n <= max && offset <= max - n;
    }
    static error_info too_far(const char* operation) {
        errno = EFBIG;
        return failure(operation, {});
    }

    static error_info failure(const char* operation, const std::string& path) {
        const int err = errno;
        std::string text = std::string(operation) + (path.empty() ? "" : " " + path) + " failed: " + std::strerror(err);
        if (err == ENOSPC) text += " (disk full)";
        return make_error(errc::io_error, std::move(text));
    }
};

inline file_system& default_file_system() noexcept {
    static posix_file_system files;
    return files;
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_FILE_POSIX_HPP
