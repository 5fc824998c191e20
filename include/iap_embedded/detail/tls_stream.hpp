// SPDX-License-Identifier: MIT
//
// A TLS stream for Boost.Beast/Asio over an `mbedtls_ssl_context`: the sync transport's client
// side and the IAP dev server's HTTPS side. It stands where `boost::beast::ssl_stream` would, with
// mbedTLS instead of OpenSSL.
//
//   auto ctx = tls::context::client(pinned_ca_pem);           // or tls::context::server(chain, key)
//   tls::stream<boost::beast::tcp_stream> s(*ctx, ioc);
//   s.set_hostname("api.example.com");                        // clients: SNI and the checked name
//   boost::beast::get_lowest_layer(s).expires_after(10s);     // tcp_stream timeouts work through it
//   s.async_handshake(handler);  http::async_write(s, req, h);  http::async_read(s, buf, res, h);
//
// How it works: mbedTLS reads and writes through memory callbacks (no sockets of its own). Each
// composed operation calls the mbedTLS function, sends whatever ciphertext that produced with
// `net::async_write` on the next layer, and when mbedTLS needs input reads once from the next
// layer and calls again. Handlers are invoked like any Asio composed operation's: through their
// associated executor, never from inside the initiating function.
//
// Rules of use (like every Asio stream, plus one):
// - One operation at a time: handshake, reads, writes and shutdown are not started while another
//   of them is in progress (HTTP/1.1's request-then-response needs nothing more). A second
//   concurrent operation completes with `stream_errc::operation_in_progress` and does nothing.
// - Reads and writes need a completed handshake (`stream_errc::handshake_required`); a client
//   handshake needs `set_hostname` first (`stream_errc::hostname_required`): mbedTLS would
//   otherwise accept a certificate issued for any name.
// - End of stream: the peer's close_notify makes reads complete with `boost::asio::error::eof`
//   (what Beast expects at the end of a message); a connection closed without it makes them
//   complete with `stream_errc::stream_truncated`, like asio::ssl's `stream_truncated`.
// - `async_shutdown` sends close_notify and completes once it is written; it does not wait for
//   the peer's close_notify.
// - No operation throws for a TLS or network failure; everything is an `error_code`. Running
//   out of memory throws std::bad_alloc here as in Asio's own objects; `beast_transport`
//   contains it like everything else.
#ifndef IAP_EMBEDDED_DETAIL_TLS_STREAM_HPP
#define IAP_EMBEDDED_DETAIL_TLS_STREAM_HPP

#include "iap_embedded/config.hpp"
#include "iap_embedded/detail/mbedtls_compat.hpp"
#include "iap_embedded/error.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/async_base.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/system/error_code.hpp>

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace tls {

/// Failures of the stream itself; mbedTLS's own codes (negative) share the same category.
enum class stream_errc {
    /// The peer closed the connection without a TLS close_notify: what was read may be cut short.
    stream_truncated = 1,
    /// A client handshake was started without `set_hostname`.
    hostname_required,
    /// A read or write was started before the handshake completed.
    handshake_required,
    /// Another operation of this stream is still in progress.
    operation_in_progress,
};

namespace detail {

class category_impl final : public boost::system::error_category {
public:
    const char* name() const noexcept override { return "mbedtls"; }
    std::string message(int ev) const override {
        switch (ev) {
        case static_cast<int>(stream_errc::stream_truncated):
            return "the peer closed the connection without a TLS close_notify";
        case static_cast<int>(stream_errc::hostname_required): return "a TLS client needs set_hostname";
        case static_cast<int>(stream_errc::handshake_required): return "the TLS handshake has not completed";
        case static_cast<int>(stream_errc::operation_in_progress):
            return "another operation of this TLS stream is in progress";
        default: break;
        }
        char text[160];
        iap_embedded::detail::compat::error_text(ev, text, sizeof text);
        char code[32];
        std::snprintf(code, sizeof code, "mbedTLS error -0x%04X", static_cast<unsigned>(-ev));
        return text[0] != '\0' ? std::string(text) + " (" + code + ")" : std::string(code);
    }
};

} // namespace detail

/// The error category of the stream: `stream_errc` values (positive) and mbedTLS return codes
/// (negative, as mbedTLS returns them; the message is `mbedtls_strerror`'s when mbedTLS has it).
inline const boost::system::error_category& category() noexcept {
    static const detail::category_impl instance;
    return instance;
}

/// Makes `stream_errc` usable as a `boost::system::error_code`.
inline boost::system::error_code make_error_code(stream_errc e) noexcept {
    return {static_cast<int>(e), category()};
}

/// An mbedTLS return code as an error code of `category()`.
inline boost::system::error_code make_mbedtls_error_code(int mbedtls_rc) noexcept { return {mbedtls_rc, category()}; }

/// Whether `ec` says the peer's certificate failed X.509 verification (untrusted, expired, not for
/// the host name...); `stream::verify_failure()` then says why. Any other error of `category()` is
/// a different TLS failure (protocol, alert, no common cipher suite).
inline bool is_verification_failure(const boost::system::error_code& ec) noexcept {
    return ec.category() == category() && ec.value() == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED;
}

/// Readable text for mbedTLS X.509 verification flags: "certificate is not trusted; hostname does
/// not match", in a fixed order; flags it does not name are given in hex.
inline std::string verify_flags_text(std::uint32_t flags) {
    struct named_flag {
        std::uint32_t flag;
        const char* text;
    };
    static const named_flag names[] = {
        {MBEDTLS_X509_BADCERT_NOT_TRUSTED, "certificate is not trusted (not issued by a trusted CA)"},
        {MBEDTLS_X509_BADCERT_CN_MISMATCH, "hostname does not match the certificate"},
        {MBEDTLS_X509_BADCERT_EXPIRED, "certificate has expired"},
        {MBEDTLS_X509_BADCERT_FUTURE, "certificate is not valid yet"},
        {MBEDTLS_X509_BADCERT_REVOKED, "certificate is revoked"},
        {MBEDTLS_X509_BADCERT_MISSING, "no certificate was sent"},
        {MBEDTLS_X509_BADCERT_KEY_USAGE, "certificate key usage does not allow TLS"},
        {MBEDTLS_X509_BADCERT_EXT_KEY_USAGE, "certificate extended key usage does not allow TLS server use"},
        {MBEDTLS_X509_BADCERT_NS_CERT_TYPE, "certificate type does not allow TLS server use"},
        {MBEDTLS_X509_BADCERT_BAD_MD, "certificate is signed with a digest that is not accepted"},
        {MBEDTLS_X509_BADCERT_BAD_PK, "certificate is signed with a key type that is not accepted"},
        {MBEDTLS_X509_BADCERT_BAD_KEY, "certificate key is too small"},
        {MBEDTLS_X509_BADCERT_SKIP_VERIFY, "verification was skipped"},
        {MBEDTLS_X509_BADCERT_OTHER, "certificate has another problem"},
    };
    std::string out;
    std::uint32_t rest = flags;
    for (const auto& n : names) {
        if ((flags & n.flag) == 0) continue;
        if (!out.empty()) out += "; ";
        out += n.text;
        rest &= ~n.flag;
    }
    if (rest != 0) {
        char hex[48];
        std::snprintf(hex, sizeof hex, "verification flags 0x%08X", static_cast<unsigned>(rest));
        if (!out.empty()) out += "; ";
        out += hex;
    }
    return out;
}

/// Shared TLS configuration: an `mbedtls_ssl_config` with its trusted CAs (clients) or own
/// certificate chain and key (servers), and a CTR_DRBG seeded from the system's entropy.
/// Immutable after creation and shared by any number of streams, on any threads.
class context {
public:
    /// The system CA bundle used when a client pins no CA and names no file (Debian's).
    static constexpr const char* default_ca_file = "/etc/ssl/certs/ca-certificates.crt";

    /// A client configuration: TLS 1.2 or newer, the server's certificate REQUIRED and verified
    /// against `ca_certificates` (PEM text with one or more certificates, or one DER certificate);
    /// when that is empty, against the PEM bundle at `ca_file` (when empty: `default_ca_file`).
    /// Errors: `malformed_input` (a pinned certificate does not parse; the bundle has none that
    /// does), `io_error` (the bundle cannot be read), `internal_error` (mbedTLS setup, entropy).
    /// Pinned certificates must all parse; of a system bundle, those mbedTLS cannot parse are
    /// skipped.
    static result<std::shared_ptr<context>> client(std::string_view ca_certificates, std::string ca_file = {});

    /// A server configuration: `certificate_chain_pem` is the server's certificate followed by
    /// its intermediates, `private_key_pem` its private key (PKCS#8, PKCS#1 or SEC1 PEM,
    /// unencrypted). Clients are not asked for certificates. Errors: `malformed_input` (a
    /// certificate or the key does not parse, or the key does not belong to the certificate),
    /// `internal_error`.
    static result<std::shared_ptr<context>> server(std::string_view certificate_chain_pem,
                                                   std::string_view private_key_pem);

    ~context() {
        mbedtls_ssl_config_free(&config_);
        mbedtls_pk_free(&key_);
        mbedtls_x509_crt_free(&own_chain_);
        mbedtls_x509_crt_free(&ca_chain_);
        mbedtls_ctr_drbg_free(&drbg_);
        mbedtls_entropy_free(&entropy_);
    }
    context(const context&) = delete;
    context& operator=(const context&) = delete;

    /// Whether streams of this context are TLS clients.
    bool is_client() const noexcept { return client_; }
    /// The mbedTLS configuration, for `mbedtls_ssl_setup`.
    const mbedtls_ssl_config* config() const noexcept { return &config_; }

private:
    explicit context(bool client) noexcept : client_(client) {
        mbedtls_ssl_config_init(&config_);
        mbedtls_x509_crt_init(&ca_chain_);
        mbedtls_x509_crt_init(&own_chain_);
        mbedtls_pk_init(&key_);
        mbedtls_entropy_init(&entropy_);
        mbedtls_ctr_drbg_init(&drbg_);
    }

    static std::shared_ptr<context> allocate(bool client) {
        return std::shared_ptr<context>(new (std::nothrow) context(client));
    }

    // Seeds the generator and applies the settings both roles share.
    result<void> configure(int endpoint) {
        if (const int rc = iap_embedded::detail::compat::crypto_init(); rc != 0)
            return make_error(errc::internal_error, "mbedTLS crypto initialisation failed", rc);
        static const char personalisation[] = "iap_embedded tls";
        if (const int rc = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                                                 reinterpret_cast<const unsigned char*>(personalisation),
                                                 sizeof personalisation - 1);
            rc != 0)
            return make_error(errc::internal_error, "no entropy for the TLS random generator", rc);
        if (const int rc = mbedtls_ssl_config_defaults(&config_, endpoint, MBEDTLS_SSL_TRANSPORT_STREAM,
                                                       MBEDTLS_SSL_PRESET_DEFAULT);
            rc != 0)
            return make_error(errc::internal_error, "mbedTLS TLS configuration failed", rc);
        iap_embedded::detail::compat::ssl_conf_min_tls12(&config_);
        mbedtls_ssl_conf_rng(&config_, &context::random, this);
        return {};
    }

    // mbedTLS calls this from every stream of the context, possibly on several threads; a CTR_DRBG
    // is only thread-safe when mbedTLS was built with MBEDTLS_THREADING_C.
    static int random(void* self, unsigned char* out, std::size_t size) {
        auto* ctx = static_cast<context*>(self);
        std::lock_guard<std::mutex> lock(ctx->drbg_mutex_);
        return mbedtls_ctr_drbg_random(&ctx->drbg_, out, size);
    }

    mbedtls_ssl_config config_;
    mbedtls_x509_crt ca_chain_;
    mbedtls_x509_crt own_chain_;
    mbedtls_pk_context key_;
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
    std::mutex drbg_mutex_;
    bool client_;
};

inline result<std::shared_ptr<context>> context::client(std::string_view ca_certificates, std::string ca_file) {
    auto ctx = allocate(true);
    if (!ctx) return make_error(errc::internal_error, "out of memory for the TLS configuration");
    if (auto configured = ctx->configure(MBEDTLS_SSL_IS_CLIENT); !configured) return std::move(configured).error();
    if (!ca_certificates.empty()) {
        // mbedTLS takes PEM only with its terminating NUL counted; DER without.
        const std::string copy(ca_certificates);
        const bool pem = copy.find("-----BEGIN CERTIFICATE-----") != std::string::npos;
        const int rc = mbedtls_x509_crt_parse(&ctx->ca_chain_, reinterpret_cast<const unsigned char*>(copy.c_str()),
                                              pem ? copy.size() + 1 : copy.size());
        if (rc < 0)
            return make_error(errc::malformed_input, "the pinned CA certificates are neither PEM nor DER certificates",
                              rc);
        if (rc > 0)
            return make_error(errc::malformed_input,
                              std::to_string(rc) + " of the pinned PEM CA certificates do not parse");
    } else {
        const std::string path = ca_file.empty() ? std::string(default_ca_file) : std::move(ca_file);
        const int rc = mbedtls_x509_crt_parse_file(&ctx->ca_chain_, path.c_str());
        if (rc == MBEDTLS_ERR_PK_FILE_IO_ERROR)
            return make_error(errc::io_error, "cannot read the CA bundle '" + path + "'", rc);
        if (rc < 0 || ctx->ca_chain_.raw.len == 0)
            return make_error(errc::malformed_input, "the CA bundle '" + path + "' has no usable PEM certificate", rc);
    }
    mbedtls_ssl_conf_authmode(&ctx->config_, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&ctx->config_, &ctx->ca_chain_, nullptr);
    return ctx;
}

inline result<std::shared_ptr<context>> context::server(std::string_view certificate_chain_pem,
                                                         std::string_view private_key_pem) {
    auto ctx = allocate(false);
    if (!ctx) return make_error(errc::internal_error, "out of memory for the TLS configuration");
    if (auto configured = ctx->configure(MBEDTLS_SSL_IS_SERVER); !configured) return std::move(configured).error();
    const std::string chain(certificate_chain_pem);
    int rc = mbedtls_x509_crt_parse(&ctx->own_chain_, reinterpret_cast<const unsigned char*>(chain.c_str()),
                                    chain.size() + 1);
    if (rc != 0 || ctx->own_chain_.raw.len == 0)
        return make_error(errc::malformed_input, "the server certificate chain is not a list of PEM certificates",
                          rc < 0 ? rc : 0);
    const std::string key(private_key_pem);
    rc = iap_embedded::detail::compat::pk_parse_key(&ctx->key_, reinterpret_cast<const unsigned char*>(key.c_str()),
                                                    key.size() + 1, &ctx->drbg_);
    if (rc != 0) return make_error(errc::malformed_input, "the server private key is not an unencrypted PEM key", rc);
    rc = iap_embedded::detail::compat::pk_check_pair(&ctx->own_chain_.pk, &ctx->key_, &ctx->drbg_);
    if (rc != 0)
        return make_error(errc::malformed_input, "the server private key does not belong to the first certificate", rc);
    mbedtls_ssl_conf_authmode(&ctx->config_, MBEDTLS_SSL_VERIFY_NONE);
    rc = mbedtls_ssl_conf_own_cert(&ctx->config_, &ctx->own_chain_, &ctx->key_);
    if (rc != 0) return make_error(errc::internal_error, "mbedTLS refused the server certificate", rc);
    return ctx;
}

namespace detail {

// The per-connection mbedTLS state, on the heap so that the stream can move while mbedTLS keeps
// pointers to it (the BIO context).
struct engine {
    // One TLS record's worth: mbedTLS never writes more than this per call anyway.
    static constexpr std::size_t chunk = 16384;

    explicit engine(std::shared_ptr<context> c) : ctx(std::move(c)) {
        mbedtls_ssl_init(&ssl);
        setup_rc = ctx ? mbedtls_ssl_setup(&ssl, ctx->config()) : MBEDTLS_ERR_SSL_BAD_INPUT_DATA;
        if (setup_rc == 0) mbedtls_ssl_set_bio(&ssl, this, &engine::send, &engine::recv, nullptr);
    }
    ~engine() { mbedtls_ssl_free(&ssl); }
    engine(const engine&) = delete;
    engine& operator=(const engine&) = delete;

    // mbedTLS's send: queue the ciphertext; the operation flushes it before going on.
    static int send(void* self, const unsigned char* data, std::size_t size) {
        auto* e = static_cast<engine*>(self);
#if IAP_EMBEDDED_HAS_EXCEPTIONS
        try {
            e->output.insert(e->output.end(), data, data + size);
        } catch (...) {
            return MBEDTLS_ERR_SSL_ALLOC_FAILED;
        }
#else
        e->output.insert(e->output.end(), data, data + size);
#endif
        return static_cast<int>(size);
    }

    // mbedTLS's recv: hand out what the last read of the next layer brought; 0 is end of stream.
    static int recv(void* self, unsigned char* data, std::size_t size) {
        auto* e = static_cast<engine*>(self);
        const std::size_t available = e->input_end - e->input_begin;
        if (available == 0) return e->peer_eof ? 0 : MBEDTLS_ERR_SSL_WANT_READ;
        const std::size_t n = size < available ? size : available;
        std::memcpy(data, e->input.data() + e->input_begin, n);
        e->input_begin += n;
        return static_cast<int>(n);
    }

    std::shared_ptr<context> ctx;
    mbedtls_ssl_context ssl;
    int setup_rc = 0;
    bool hostname_set = false;
    bool handshake_done = false;
    bool close_notify_received = false;
    bool peer_eof = false;
    bool busy = false;
    std::array<unsigned char, chunk + 1024> input{};  // ciphertext read from the next layer
    std::size_t input_begin = 0, input_end = 0;
    std::vector<unsigned char> output;                 // ciphertext waiting to be sent
    std::array<unsigned char, chunk> plaintext{};      // a write's bytes, made contiguous
};

// What the four operations do with mbedTLS; `io_op` runs any of them.
struct handshake_action {
    static constexpr bool has_size = false;
    boost::system::error_code precheck(const engine& e) const noexcept {
        if (e.ctx->is_client() && !e.hostname_set) return make_error_code(stream_errc::hostname_required);
        return {};
    }
    bool immediate(const engine&) const noexcept { return false; }
    int run(engine& e) const noexcept { return mbedtls_ssl_handshake(&e.ssl); }
    std::pair<boost::system::error_code, std::size_t> outcome(engine& e, int rc) const noexcept {
        if (rc == 0) {
            e.handshake_done = true;
            return {};
        }
        if (rc == MBEDTLS_ERR_SSL_CONN_EOF) return {make_error_code(stream_errc::stream_truncated), 0};
        return {make_mbedtls_error_code(rc), 0};
    }
};

struct read_action {
    static constexpr bool has_size = true;
    unsigned char* data;
    std::size_t size;
    boost::system::error_code precheck(const engine& e) const noexcept {
        if (!e.handshake_done) return make_error_code(stream_errc::handshake_required);
        if (e.close_notify_received) return boost::asio::error::eof;
        return {};
    }
    bool immediate(const engine&) const noexcept { return size == 0; }
    int run(engine& e) const noexcept { return mbedtls_ssl_read(&e.ssl, data, size); }
    std::pair<boost::system::error_code, std::size_t> outcome(engine& e, int rc) const noexcept {
        if (rc > 0) return {{}, static_cast<std::size_t>(rc)};
        if (rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
            e.close_notify_received = true;
            return {boost::asio::error::eof, 0};
        }
        // 0 from a non-empty read and CONN_EOF both mean the transport ended without close_notify.
        if (rc == 0 || rc == MBEDTLS_ERR_SSL_CONN_EOF) return {make_error_code(stream_errc::stream_truncated), 0};
        return {make_mbedtls_error_code(rc), 0};
    }
};

struct write_action {
    static constexpr bool has_size = true;
    std::size_t size; // bytes staged in engine::plaintext
    boost::system::error_code precheck(const engine& e) const noexcept {
        if (!e.handshake_done) return make_error_code(stream_errc::handshake_required);
        return {};
    }
    bool immediate(const engine&) const noexcept { return size == 0; }
    int run(engine& e) const noexcept { return mbedtls_ssl_write(&e.ssl, e.plaintext.data(), size); }
    std::pair<boost::system::error_code, std::size_t> outcome(engine&, int rc) const noexcept {
        if (rc >= 0) return {{}, static_cast<std::size_t>(rc)};
        return {make_mbedtls_error_code(rc), 0};
    }
};

struct shutdown_action {
    static constexpr bool has_size = false;
    boost::system::error_code precheck(const engine& e) const noexcept {
        if (!e.handshake_done) return make_error_code(stream_errc::handshake_required);
        return {};
    }
    bool immediate(const engine&) const noexcept { return false; }
    int run(engine& e) const noexcept { return mbedtls_ssl_close_notify(&e.ssl); }
    std::pair<boost::system::error_code, std::size_t> outcome(engine&, int rc) const noexcept {
        if (rc == 0) return {};
        return {make_mbedtls_error_code(rc), 0};
    }
};

// The composed operation: call mbedTLS; flush its output; on WANT_READ read once from the next
// layer; repeat until mbedTLS reports a result.
template <class Handler, class Stream, class Action>
class io_op : public boost::beast::async_base<Handler, typename Stream::executor_type> {
    using base_type = boost::beast::async_base<Handler, typename Stream::executor_type>;

public:
    template <class Handler_>
    io_op(Handler_&& handler, Stream& s, engine& e, Action action)
        : base_type(std::forward<Handler_>(handler), s.get_executor()), stream_(s), engine_(e),
          action_(std::move(action)) {
        boost::system::error_code refusal;
        if (engine_.busy)
            refusal = make_error_code(stream_errc::operation_in_progress);
        else if (engine_.setup_rc != 0)
            refusal = make_mbedtls_error_code(engine_.setup_rc);
        else
            refusal = action_.precheck(engine_);
        if (refusal || action_.immediate(engine_)) {
            finish(false, refusal, 0, false);
            return;
        }
        engine_.busy = true;
        step(false);
    }

    // Completion of a flush or of a read on the next layer.
    void operator()(boost::system::error_code ec, std::size_t bytes) {
        if (flushing_) {
            flushing_ = false;
            engine_.output.clear();
            if (ec) {
                // A failed mbedTLS call that queued an alert is reported as itself, not as the
                // failure to send the alert.
                if (rc_ < 0 && rc_ != MBEDTLS_ERR_SSL_WANT_READ && rc_ != MBEDTLS_ERR_SSL_WANT_WRITE &&
                    !iap_embedded::detail::compat::ssl_read_must_repeat(rc_))
                    return conclude(true);
                return finish(true, ec, 0, true);
            }
            if (evaluate(true)) step(true);
            return;
        }
        if (ec == boost::asio::error::eof) {
            engine_.peer_eof = true;
        } else if (ec) {
            return finish(true, ec, 0, true);
        } else {
            engine_.input_begin = 0;
            engine_.input_end = bytes;
        }
        step(true);
    }

private:
    void step(bool is_continuation) {
        for (;;) {
            rc_ = action_.run(engine_);
            if (!engine_.output.empty()) {
                flushing_ = true;
                boost::asio::async_write(stream_.next_layer(), boost::asio::buffer(engine_.output), std::move(*this));
                return;
            }
            if (!evaluate(is_continuation)) return;
        }
    }

    // Acts on rc_ once the output is flushed: true when mbedTLS must be called again.
    bool evaluate(bool is_continuation) {
        if (rc_ == MBEDTLS_ERR_SSL_WANT_WRITE || iap_embedded::detail::compat::ssl_read_must_repeat(rc_)) return true;
        if (rc_ == MBEDTLS_ERR_SSL_WANT_READ) {
            if (engine_.peer_eof) return true; // recv now reports end of stream
            stream_.next_layer().async_read_some(boost::asio::buffer(engine_.input), std::move(*this));
            return false;
        }
        conclude(is_continuation);
        return false;
    }

    void conclude(bool is_continuation) {
        const auto result = action_.outcome(engine_, rc_);
        finish(is_continuation, result.first, result.second, true);
    }

    void finish(bool is_continuation, boost::system::error_code ec, std::size_t bytes, bool release) {
        if (release) engine_.busy = false;
        if constexpr (Action::has_size)
            this->complete(is_continuation, ec, bytes);
        else
            this->complete(is_continuation, ec);
    }

    Stream& stream_;
    engine& engine_;
    Action action_;
    int rc_ = 0;
    bool flushing_ = false;
};

template <class Stream>
struct run_io_op {
    Stream* stream;
    engine* state;
    template <class Handler, class Action>
    void operator()(Handler&& handler, Action action) const {
        io_op<std::decay_t<Handler>, Stream, Action>(std::forward<Handler>(handler), *stream, *state,
                                                     std::move(action));
    }
};

} // namespace detail

/// A TLS stream over `NextLayer` (an Asio/Beast AsyncReadStream + AsyncWriteStream, e.g.
/// `boost::beast::tcp_stream`), itself an AsyncReadStream + AsyncWriteStream that Beast's HTTP
/// functions accept. `boost::beast::get_lowest_layer(s)` reaches the socket through
/// `next_layer()`, so `tcp_stream::expires_after` timeouts apply to the TLS operations (they
/// complete with `boost::beast::error::timeout`). Movable while no operation is in progress.
template <class NextLayer>
class stream {
public:
    using next_layer_type = NextLayer;
    using executor_type = typename NextLayer::executor_type;

    /// A stream of the role of `ctx` (client or server); `next_layer_args` construct the next
    /// layer (for a tcp_stream: an io_context or executor, or a connected tcp_stream to move in).
    /// An mbedTLS setup failure (out of memory, or no context) is reported by the first operation.
    template <class... Args>
    explicit stream(std::shared_ptr<context> ctx, Args&&... next_layer_args)
        : next_(std::forward<Args>(next_layer_args)...), engine_(std::make_unique<detail::engine>(std::move(ctx))) {}

    /// Client: the server's name, sent as SNI and checked against the certificate
    /// (`mbedtls_ssl_set_hostname`). Required before a client handshake. For an IP address,
    /// mbedTLS 2.28 matches the text against the certificate's dNSName entries (or its CN when it
    /// has no subjectAltName) and ignores iPAddress entries; newer mbedTLS 3.x also matches
    /// iPAddress entries.
    result<void> set_hostname(const std::string& host) {
        if (engine_->setup_rc != 0)
            return make_error(errc::tls_error, "the TLS stream could not be set up", engine_->setup_rc);
        if (const int rc = mbedtls_ssl_set_hostname(&engine_->ssl, host.c_str()); rc != 0)
            return make_error(errc::tls_error, "mbedTLS refused the host name '" + host + "'", rc);
        engine_->hostname_set = true;
        return {};
    }

    NextLayer& next_layer() noexcept { return next_; }
    const NextLayer& next_layer() const noexcept { return next_; }
    executor_type get_executor() noexcept { return next_.get_executor(); }

    /// The underlying mbedTLS context (for inspection: negotiated version, cipher suite).
    const mbedtls_ssl_context* native_handle() const noexcept { return &engine_->ssl; }

    /// Whether the handshake completed successfully.
    bool handshake_done() const noexcept { return engine_->handshake_done; }

    /// Performs the handshake of the context's role. Completes with `void(error_code)`: an error
    /// of the next layer (timeout, reset), `stream_errc`, or an mbedTLS code of `category()`
    /// (`is_verification_failure` when the peer's certificate was refused: see `verify_failure`).
    template <class Handler>
    auto async_handshake(Handler&& handler) {
        return boost::asio::async_initiate<Handler, void(boost::system::error_code)>(initiation(), handler,
                                                                                     detail::handshake_action{});
    }

    /// Reads decrypted bytes into the first non-empty buffer of `buffers`. Completes with
    /// `void(error_code, std::size_t)`; `boost::asio::error::eof` after the peer's close_notify,
    /// `stream_errc::stream_truncated` when the connection ended without it.
    template <class MutableBufferSequence, class Handler>
    auto async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
        boost::asio::mutable_buffer target;
        for (auto it = boost::asio::buffer_sequence_begin(buffers); it != boost::asio::buffer_sequence_end(buffers);
             ++it) {
            const boost::asio::mutable_buffer b(*it);
            if (b.size() != 0) {
                target = b;
                break;
            }
        }
        return boost::asio::async_initiate<Handler, void(boost::system::error_code, std::size_t)>(
            initiation(), handler, detail::read_action{static_cast<unsigned char*>(target.data()), target.size()});
    }

    /// Encrypts and sends up to one TLS record (16 KiB) of `buffers`. Completes with
    /// `void(error_code, std::size_t)` once that record is written to the next layer.
    template <class ConstBufferSequence, class Handler>
    auto async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
        std::size_t staged = 0;
        // A concurrent operation may be using the staging area; it is then left alone, and the
        // operation reports operation_in_progress.
        if (!engine_->busy)
            staged = boost::asio::buffer_copy(boost::asio::buffer(engine_->plaintext), buffers);
        return boost::asio::async_initiate<Handler, void(boost::system::error_code, std::size_t)>(
            initiation(), handler, detail::write_action{staged});
    }

    /// Sends close_notify. Completes with `void(error_code)` once it is written; does not wait
    /// for the peer's.
    template <class Handler>
    auto async_shutdown(Handler&& handler) {
        return boost::asio::async_initiate<Handler, void(boost::system::error_code)>(initiation(), handler,
                                                                                     detail::shutdown_action{});
    }

    /// After a handshake that failed certificate verification: why, as `verify_flags_text` words
    /// ("certificate is not trusted...; hostname does not match the certificate"); empty when
    /// verification did not run or passed.
    std::string verify_failure() const {
        if (engine_->setup_rc != 0) return {};
        const std::uint32_t flags = mbedtls_ssl_get_verify_result(&engine_->ssl);
        if (flags == 0 || flags == static_cast<std::uint32_t>(-1)) return {};
        return verify_flags_text(flags);
    }

private:
    detail::run_io_op<stream> initiation() noexcept { return {this, engine_.get()}; }

    NextLayer next_;
    std::unique_ptr<detail::engine> engine_;
};

} // namespace tls
} // namespace v1
} // namespace iap_embedded

namespace boost {
namespace system {
template <>
struct is_error_code_enum<iap_embedded::tls::stream_errc> : std::true_type {};
} // namespace system
} // namespace boost

#endif // IAP_EMBEDDED_DETAIL_TLS_STREAM_HPP
