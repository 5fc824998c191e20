// SPDX-License-Identifier: MIT
//
// The ledger's file layer on Windows, written to the same interface as file_posix.hpp.
// Paths are UTF-8 and converted to UTF-16 for the wide API.
#ifndef IAP_EMBEDDED_DETAIL_FILE_WINDOWS_HPP
#define IAP_EMBEDDED_DETAIL_FILE_WINDOWS_HPP

#include "iap_embedded/detail/file.hpp"

#include <string>

// <windows.h> without its rarely used parts and without the min/max macros; the two switches are
// undefined again afterwards unless the program had defined them.
#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#define IAP_EMBEDDED_DETAIL_UNDEF_WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#define IAP_EMBEDDED_DETAIL_UNDEF_NOMINMAX
#endif
#include <windows.h>
#ifdef IAP_EMBEDDED_DETAIL_UNDEF_WIN32_LEAN_AND_MEAN
#undef WIN32_LEAN_AND_MEAN
#undef IAP_EMBEDDED_DETAIL_UNDEF_WIN32_LEAN_AND_MEAN
#endif
#ifdef IAP_EMBEDDED_DETAIL_UNDEF_NOMINMAX
#undef NOMINMAX
#undef IAP_EMBEDDED_DETAIL_UNDEF_NOMINMAX
#endif

namespace iap_embedded {
inline namespace v1 {
namespace detail {

class windows_file_system final : public file_system {
public:
    result<native_file> open(const std::string& path, bool create) override {
        const std::wstring wide = widen(path);
        // FILE_SHARE_DELETE lets compaction rename a new snapshot over a file that is open.
        const HANDLE h = ::CreateFileW(wide.c_str(), GENERIC_READ | GENERIC_WRITE,
                                       FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                                       create ? OPEN_ALWAYS : OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (h == INVALID_HANDLE_VALUE) return failure("CreateFileW", path);
        return reinterpret_cast<native_file>(h);
    }

    void close(native_file f) noexcept override { (void)::CloseHandle(handle(f)); }

    result<std::uint64_t> size(native_file f) override {
        LARGE_INTEGER n;
        if (!::GetFileSizeEx(handle(f), &n)) return failure("GetFileSizeEx", {});
        return static_cast<std::uint64_t>(n.QuadPart);
    }

    result<std::size_t> read_at(native_file f, std::uint64_t offset, void* buffer, std::size_t n) override {
        std::size_t done = 0;
        while (done < n) {
            OVERLAPPED at = overlapped(offset + done);
            DWORD got = 0;
            const DWORD chunk = static_cast<DWORD>(n - done > 0x40000000u ? 0x40000000u : n - done);
            if (!::ReadFile(handle(f), static_cast<char*>(buffer) + done, chunk, &got, &at)) {
                if (::GetLastError() == ERROR_HANDLE_EOF) break;
                return failure("ReadFile", {});
            }
            if (got == 0) break;
            done += got;
        }
        return done;
    }

    result<void> write_at(native_file f, std::uint64_t offset, const void* data, std::size_t n) override {
        std::size_t done = 0;
        while (done < n) {
            OVERLAPPED at = overlapped(offset + done);
            DWORD put = 0;
            const DWORD chunk = static_cast<DWORD>(n - done > 0x40000000u ? 0x40000000u : n - done);
            if (!::WriteFile(handle(f), static_cast<const char*>(data) + done, chunk, &put, &at))
                return failure("WriteFile", {});
            done += put;
        }
        return {};
    }

    result<void> sync(native_file f) override {
        if (!::FlushFileBuffers(handle(f))) return failure("FlushFileBuffers", {});
        return {};
    }

    result<void> truncate(native_file f, std::uint64_t size) override {
        FILE_END_OF_FILE_INFO info;
        info.EndOfFile.QuadPart = static_cast<LONGLONG>(size);
        if (!::SetFileInformationByHandle(handle(f), FileEndOfFileInfo, &info, sizeof info))
            return failure("SetFileInformationByHandle", {});
        return {};
    }

    result<void> lock(native_file f) override {
        // Locks one byte far past any real data: Windows locks are mandatory, and locking the
        // data itself would block this process's own reads through other handles.
        OVERLAPPED at = overlapped(0x7FFFFFFFFFFFFFFEull);
        if (::LockFileEx(handle(f), LOCKFILE_EXCLUSIVE_LOCK | LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &at)) return {};
        if (::GetLastError() == ERROR_LOCK_VIOLATION)
            return make_error(errc::ledger_locked, "the ledger is open in another process or handle");
        return failure("LockFileEx", {});
    }

    result<bool> is_current(native_file f, const std::string& path) override {
        BY_HANDLE_FILE_INFORMATION open_info, path_info;
        if (!::GetFileInformationByHandle(handle(f), &open_info)) return failure("GetFileInformationByHandle", path);
        const std::wstring wide = widen(path);
        const HANDLE h = ::CreateFileW(wide.c_str(), 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                                       nullptr, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, nullptr);
        if (h == INVALID_HANDLE_VALUE) {
            if (::GetLastError() == ERROR_FILE_NOT_FOUND) return false;
            return failure("CreateFileW", path);
        }
        const BOOL ok = ::GetFileInformationByHandle(h, &path_info);
        (void)::CloseHandle(h);
        if (!ok) return failure("GetFileInformationByHandle", path);
        return open_info.dwVolumeSerialNumber == path_info.dwVolumeSerialNumber &&
               open_info.nFileIndexHigh == path_info.nFileIndexHigh && open_info.nFileIndexLow == path_info.nFileIndexLow;
    }

    result<void> rename(const std::string& from, const std::string& to) override {
        if (!::MoveFileExW(widen(from).c_str(), widen(to).c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH))
            return failure("MoveFileExW", from + " -> " + to);
        return {};
    }

    // NTFS journals directory changes, and the rename above is write-through: nothing to flush.
    result<void> sync_directory_of(const std::string&) override { return {}; }

    result<void> remove(const std::string& path) override {
        if (!::DeleteFileW(widen(path).c_str()) && ::GetLastError() != ERROR_FILE_NOT_FOUND)
            return failure("DeleteFileW", path);
        return {};
    }

private:
    static HANDLE handle(native_file f) noexcept { return reinterpret_cast<HANDLE>(f); }

    static OVERLAPPED overlapped(std::uint64_t offset) noexcept {
        OVERLAPPED at{};
        at.Offset = static_cast<DWORD>(offset & 0xFFFFFFFFu);
        at.OffsetHigh = static_cast<DWORD>(offset >> 32);
        return at;
    }

    static std::wstring widen(const std::string& utf8) {
        if (utf8.empty()) return {};
        const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
        std::wstring out(static_cast<std::size_t>(n > 0 ? n : 0), L'\0');
        if (n > 0) ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), &out[0], n);
        return out;
    }

    static error_info failure(const char* operation, const std::string& path) {
        const DWORD err = ::GetLastError();
        std::string text = std::string(operation) + (path.empty() ? "" : " " + path) +
                           " failed: Windows error " + std::to_string(static_cast<unsigned long>(err));
        if (err == ERROR_DISK_FULL || err == ERROR_HANDLE_DISK_FULL) text += " (disk full)";
        return make_error(errc::io_error, std::move(text));
    }
};

inline file_system& default_file_system() noexcept {
    static windows_file_system files;
    return files;
}

} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_FILE_WINDOWS_HPP
