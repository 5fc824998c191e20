// SPDX-License-Identifier: MIT
//
// Runs a libFuzzer target without libFuzzer (in the spirit of fmt's test/fuzzing/main.cc): every
// file named on the command line, and every regular file under every directory named there, is
// passed to LLVMFuzzerTestOneInput once. Any compiler can build it, so the seed corpora replay
// in the ordinary test suite. Inputs go in a buffer of exactly their size, so a sanitizer build
// catches reads past the end.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

bool run_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.string().c_str());
        return false;
    }
    const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto copy = std::make_unique<std::uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), copy.get());
    LLVMFuzzerTestOneInput(copy.get(), bytes.size());
    return true;
}

} // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s FILE_OR_DIRECTORY...\n", argv[0]);
        return 2;
    }
    std::size_t inputs = 0;
    bool ok = true;
    for (int i = 1; i < argc; ++i) {
        const std::filesystem::path arg(argv[i]);
        std::error_code ec;
        if (std::filesystem::is_directory(arg, ec)) {
            // Sorted, so a failure reproduces in the same order on every run.
            std::vector<std::filesystem::path> files;
            for (const auto& entry : std::filesystem::recursive_directory_iterator(arg, ec))
                if (entry.is_regular_file()) files.push_back(entry.path());
            std::sort(files.begin(), files.end());
            for (const auto& file : files) {
                ok = run_file(file) && ok;
                ++inputs;
            }
        } else {
            ok = run_file(arg) && ok;
            ++inputs;
        }
        if (ec) {
            std::fprintf(stderr, "cannot list %s: %s\n", argv[i], ec.message().c_str());
            ok = false;
        }
    }
    std::printf("%s: ran %zu inputs\n", argv[0], inputs);
    // An empty corpus means the seeds went missing, which must not pass silently.
    return ok && inputs > 0 ? 0 : 1;
}
