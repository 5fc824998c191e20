// SPDX-License-Identifier: MIT
//
// Compile-only check of the ledger's Windows file layer (tools/check_mingw.sh builds it with
// x86_64-w64-mingw32-g++ -c). It includes file_windows.hpp first, as a self-containment check,
// and calls every member of the file_system interface through the platform's object, so each
// override is instantiated. Nothing here needs mbedTLS or picojson: the file layer depends on
// error.hpp only. Never run.
#include "iap_embedded/detail/file_windows.hpp"

#include <cstdint>
#include <string>
#include <type_traits>

static_assert(std::is_base_of_v<iap_embedded::detail::file_system, iap_embedded::detail::windows_file_system>,
              "the Windows file layer implements file_system");
static_assert(!std::is_abstract_v<iap_embedded::detail::windows_file_system>,
              "the Windows file layer overrides every member of file_system");

// Walks the interface once: what the ledger does on open, append and compaction.
iap_embedded::result<void> exercise_file_layer(const std::string& path) {
    iap_embedded::detail::file_system& files = iap_embedded::detail::default_file_system();
    auto opened = files.open(path, true);
    if (!opened) return std::move(opened).error();
    const iap_embedded::detail::native_file f = *opened;
    if (auto locked = files.lock(f); !locked) return files.close(f), locked;
    auto current = files.is_current(f, path);
    if (!current) return files.close(f), std::move(current).error();
    auto size = files.size(f);
    if (!size) return files.close(f), std::move(size).error();
    unsigned char buffer[64] = {};
    auto got = files.read_at(f, 0, buffer, sizeof buffer);
    if (!got) return files.close(f), std::move(got).error();
    if (auto put = files.write_at(f, *size, buffer, *got); !put) return files.close(f), put;
    if (auto synced = files.sync(f); !synced) return files.close(f), synced;
    if (auto cut = files.truncate(f, std::uint64_t{0}); !cut) return files.close(f), cut;
    files.close(f);
    if (auto renamed = files.rename(path, path + ".old"); !renamed) return renamed;
    if (auto dir = files.sync_directory_of(path); !dir) return dir;
    return files.remove(path + ".old");
}

// A second definition of the platform object would be an ODR problem in a real program; taking
// its address here also checks that default_file_system() is an ordinary (inline) function.
iap_embedded::detail::file_system& (*const platform_files)() noexcept = &iap_embedded::detail::default_file_system;
