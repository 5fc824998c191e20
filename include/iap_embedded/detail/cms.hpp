// SPDX-License-Identifier: MIT
//
// Reads a CMS SignedData (RFC 5652) as App Store receipts use it: one signer, content of type
// id-data embedded in the structure, RSA PKCS#1 v1.5 signatures over SHA-1 or SHA-256. Reading
// verifies nothing; it keeps the exact bytes verification needs (certificates, issuer and
// serial, signed attributes, and the content when it is one OCTET STRING) as views into the
// input, and joins the content into a buffer only when BER splits it into segments.
//
// Errors: a structure that is not a SignedData (or has bytes after it) is `not_a_receipt`; a
// digest or signature algorithm other than SHA-1, SHA-256, rsaEncryption, sha1WithRSA and
// sha256WithRSA is `unsupported_algorithm`.
#ifndef IAP_EMBEDDED_DETAIL_CMS_HPP
#define IAP_EMBEDDED_DETAIL_CMS_HPP

#include "iap_embedded/detail/asn1.hpp"
#include "iap_embedded/detail/crypto.hpp"
#include "iap_embedded/error.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace iap_embedded {
inline namespace v1 {
namespace detail {
namespace cms {

constexpr const char* oid_signed_data = "1.2.840.113549.1.7.2";
constexpr const char* oid_data = "1.2.840.113549.1.7.1";
constexpr const char* oid_sha1 = "1.3.14.3.2.26";
constexpr const char* oid_sha256 = "2.16.840.1.101.3.4.2.1";
constexpr const char* oid_rsa_encryption = "1.2.840.113549.1.1.1";
constexpr const char* oid_sha1_with_rsa = "1.2.840.113549.1.1.5";
constexpr const char* oid_sha256_with_rsa = "1.2.840.113549.1.1.11";
constexpr const char* oid_content_type = "1.2.840.113549.1.9.3";
constexpr const char* oid_message_digest = "1.2.840.113549.1.9.4";

/// The one SignerInfo of a receipt.
struct signer_info {
    asn1::bytes_view issuer;        ///< The issuer Name, whole DER element.
    asn1::bytes_view serial;        ///< The serial number's INTEGER content octets.
    digest_kind digest = digest_kind::sha256;
    /// The signed attributes as they appear ([0] IMPLICIT, whole element); empty when absent.
    asn1::bytes_view signed_attrs;
    /// The messageDigest attribute's value, when signed attributes are present and carry one.
    std::optional<asn1::bytes_view> message_digest;
    /// Whether the signed attributes carry a content-type attribute other than id-data.
    bool content_type_mismatch = false;
    asn1::bytes_view signature;     ///< The signature octets.

    /// The DER the signature covers when signed attributes are present: the attributes with
    /// their [0] tag replaced by SET OF (RFC 5652 section 5.4).
    std::vector<unsigned char> signed_attrs_as_set() const {
        std::vector<unsigned char> der(signed_attrs.data, signed_attrs.data + signed_attrs.size);
        if (!der.empty()) der[0] = asn1::tag_set;
        return der;
    }
};

/// The eContent octets: a view into the input when they are one primitive OCTET STRING (DER,
/// and Apple's receipts), or a buffer of their own holding the joined segments of a constructed
/// one (BER, which Xcode writes). Either way a copy stays valid as long as the input does.
class content_octets {
public:
    const unsigned char* data() const noexcept { return joined_ ? buffer_.data() : view_.data; }
    std::size_t size() const noexcept { return joined_ ? buffer_.size() : view_.size; }
    bool empty() const noexcept { return size() == 0; }
    const unsigned char& operator[](std::size_t i) const noexcept { return data()[i]; }
    asn1::bytes_view view() const noexcept { return {data(), size()}; }
    bool operator==(const content_octets& other) const noexcept { return view() == other.view(); }
    bool operator!=(const content_octets& other) const noexcept { return !(*this == other); }

    /// Reads the content from OCTET STRING `e`.
    result<void> assign(const asn1::element& e) {
        if (e.tag == asn1::tag_octet_string) {
            view_ = e.content;
            joined_ = false;
            buffer_.clear();
            return {};
        }
        joined_ = true;
        buffer_.clear();
        return asn1::append_octet_string(e, buffer_);
    }

private:
    asn1::bytes_view view_;
    std::vector<unsigned char> buffer_;
    bool joined_ = false;
};

/// A parsed SignedData with embedded id-data content.
struct signed_data {
    content_octets content;                         ///< eContent octets (viewed, or segments joined).
    std::vector<asn1::bytes_view> certificates;     ///< Each certificate's exact DER.
    signer_info signer;
};

inline error_info not_a_receipt(std::string why) { return make_error(errc::not_a_receipt, std::move(why)); }

// Re-labels a structural error of the outer CMS layers as `not_a_receipt`, keeping its sentence.
inline error_info as_not_a_receipt(error_info e, const char* where) {
    if (e.code == errc::malformed_input) return not_a_receipt(std::string(where) + ": " + e.detail);
    return e;
}

inline result<digest_kind> digest_from_oid(const std::string& dotted) {
    if (dotted == oid_sha1) return digest_kind::sha1;
    if (dotted == oid_sha256) return digest_kind::sha256;
    return make_error(errc::unsupported_algorithm,
                      "the digest algorithm " + dotted + " is not accepted (only SHA-1 and SHA-256)");
}

// AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }; the parameters of
// the algorithms accepted here are NULL or absent.
inline result<std::string> read_algorithm(asn1::reader& r, const char* what) {
    auto seq = r.next(asn1::tag_sequence, what);
    if (!seq) return std::move(seq).error();
    auto inner = r.enter(*seq);
    if (!inner) return std::move(inner).error();
    auto oid = inner->next(asn1::tag_oid, "an algorithm OBJECT IDENTIFIER");
    if (!oid) return std::move(oid).error();
    auto dotted = asn1::oid_to_dotted(*oid);
    if (!dotted) return dotted;
    if (!inner->empty()) {
        auto params = inner->next();
        if (!params) return std::move(params).error();
        if (params->tag != asn1::tag_null || params->content.size != 0)
            return make_error(errc::unsupported_algorithm, std::string("unexpected parameters in ") + what);
    }
    if (auto done = inner->finish(what); !done) return std::move(done).error();
    return dotted;
}

// Extracts content-type and messageDigest from the signed attributes.
inline result<void> read_signed_attributes(asn1::reader attrs, signer_info& s) {
    while (!attrs.empty()) {
        auto attr = attrs.next(asn1::tag_sequence, "an Attribute");
        if (!attr) return std::move(attr).error();
        auto a = attrs.enter(*attr);
        if (!a) return std::move(a).error();
        auto type = a->next(asn1::tag_oid, "an attribute type");
        if (!type) return std::move(type).error();
        auto values = a->next(asn1::tag_set, "attribute values");
        if (!values) return std::move(values).error();
        if (auto done = a->finish("an Attribute"); !done) return std::move(done).error();
        const bool is_digest = asn1::oid_equals(*type, oid_message_digest);
        const bool is_content_type = asn1::oid_equals(*type, oid_content_type);
        if (!is_digest && !is_content_type) continue;
        auto v = a->enter(*values);
        if (!v) return std::move(v).error();
        auto value = v->next(is_digest ? asn1::tag_octet_string : asn1::tag_oid, "an attribute value");
        if (!value) return std::move(value).error();
        if (auto done = v->finish("a single-valued attribute"); !done) return std::move(done).error();
        if (is_digest) {
            if (s.message_digest) return make_error(errc::malformed_input, "two messageDigest attributes");
            s.message_digest = value->content;
        } else if (!asn1::oid_equals(*value, oid_data)) {
            s.content_type_mismatch = true;
        }
    }
    return {};
}

inline result<signer_info> read_signer_info(asn1::reader& infos) {
    auto info = infos.next(asn1::tag_sequence, "a SignerInfo");
    if (!info) return std::move(info).error();
    auto r = infos.enter(*info);
    if (!r) return std::move(r).error();
    signer_info s;
    auto version = r->next(asn1::tag_integer, "the SignerInfo version");
    if (!version) return std::move(version).error();
    auto sid = r->next(asn1::tag_sequence, "an IssuerAndSerialNumber (subjectKeyIdentifier is not supported)");
    if (!sid) return std::move(sid).error();
    {
        auto ias = r->enter(*sid);
        if (!ias) return std::move(ias).error();
        auto issuer = ias->next(asn1::tag_sequence, "the issuer Name");
        if (!issuer) return std::move(issuer).error();
        auto serial = ias->next(asn1::tag_integer, "the serial number");
        if (!serial) return std::move(serial).error();
        if (auto done = ias->finish("IssuerAndSerialNumber"); !done) return std::move(done).error();
        s.issuer = issuer->whole;
        s.serial = serial->content;
    }
    auto digest_oid = read_algorithm(*r, "the signer's digest algorithm");
    if (!digest_oid) return std::move(digest_oid).error();
    auto digest = digest_from_oid(*digest_oid);
    if (!digest) return std::move(digest).error();
    s.digest = *digest;
    if (r->peek_tag() == asn1::context_tag(0, true)) {
        auto attrs = r->next();
        if (!attrs) return std::move(attrs).error();
        if (attrs->indefinite) return make_error(errc::malformed_input, "signed attributes are not DER");
        s.signed_attrs = attrs->whole;
        auto a = r->enter(*attrs);
        if (!a) return std::move(a).error();
        if (auto read = read_signed_attributes(*a, s); !read) return std::move(read).error();
    }
    auto signature_oid = read_algorithm(*r, "the signature algorithm");
    if (!signature_oid) return std::move(signature_oid).error();
    const std::string& alg = *signature_oid;
    if (alg == oid_sha1_with_rsa || alg == oid_sha256_with_rsa) {
        const digest_kind named = alg == oid_sha1_with_rsa ? digest_kind::sha1 : digest_kind::sha256;
        if (named != s.digest)
            return make_error(errc::unsupported_algorithm, "the signature algorithm " + alg +
                                                               " names another digest than the signer's digest algorithm");
    } else if (alg != oid_rsa_encryption) {
        return make_error(errc::unsupported_algorithm,
                          "the signature algorithm " + alg + " is not accepted (only RSA PKCS#1 v1.5)");
    }
    auto signature = r->next(asn1::tag_octet_string, "the signature OCTET STRING");
    if (!signature) return std::move(signature).error();
    s.signature = signature->content;
    if (r->peek_tag() == asn1::context_tag(1, true)) {
        auto unsigned_attrs = r->next();
        if (!unsigned_attrs) return std::move(unsigned_attrs).error();
    }
    if (auto done = r->finish("SignerInfo"); !done) return std::move(done).error();
    return s;
}

inline result<void> read_encapsulated_content(asn1::reader& r, signed_data& out) {
    auto eci = r.next(asn1::tag_sequence, "EncapsulatedContentInfo");
    if (!eci) return std::move(eci).error();
    auto e = r.enter(*eci);
    if (!e) return std::move(e).error();
    auto type = e->next(asn1::tag_oid, "the content type");
    if (!type) return std::move(type).error();
    if (!asn1::oid_equals(*type, oid_data)) return not_a_receipt("the signed content is not of type id-data");
    auto explicit_content = e->next(asn1::context_tag(0, true), "the embedded content [0]");
    if (!explicit_content) {
        if (e->empty()) return not_a_receipt("the SignedData carries no content (detached signature)");
        return std::move(explicit_content).error();
    }
    auto c = e->enter(*explicit_content);
    if (!c) return std::move(c).error();
    auto octets = c->next();
    if (!octets) return std::move(octets).error();
    if (auto read = out.content.assign(*octets); !read) return read;
    if (auto done = c->finish("the embedded content [0]"); !done) return done;
    return e->finish("EncapsulatedContentInfo");
}

inline result<signed_data> read_signed_data_body(const unsigned char* der, std::size_t size) {
    asn1::reader top(der, size);
    auto content_info = top.next(asn1::tag_sequence, "a ContentInfo SEQUENCE");
    if (!content_info) return std::move(content_info).error();
    if (!top.empty())
        return not_a_receipt(std::to_string(top.remaining()) + " bytes follow the receipt's ContentInfo");
    auto ci = top.enter(*content_info);
    if (!ci) return std::move(ci).error();
    auto type = ci->next(asn1::tag_oid, "the ContentInfo content type");
    if (!type) return std::move(type).error();
    if (!asn1::oid_equals(*type, oid_signed_data)) return not_a_receipt("the ContentInfo is not a CMS SignedData");
    auto wrapper = ci->next(asn1::context_tag(0, true), "the SignedData [0]");
    if (!wrapper) return std::move(wrapper).error();
    if (auto done = ci->finish("ContentInfo"); !done) return std::move(done).error();
    auto w = ci->enter(*wrapper);
    if (!w) return std::move(w).error();
    auto body = w->next(asn1::tag_sequence, "the SignedData SEQUENCE");
    if (!body) return std::move(body).error();
    if (auto done = w->finish("the SignedData [0]"); !done) return std::move(done).error();
    auto r = w->enter(*body);
    if (!r) return std::move(r).error();

    signed_data out;
    auto version = r->next(asn1::tag_integer, "the SignedData version");
    if (!version) return std::move(version).error();
    auto digests = r->next(asn1::tag_set, "the digestAlgorithms SET");
    if (!digests) return std::move(digests).error();
    if (auto content = read_encapsulated_content(*r, out); !content) return std::move(content).error();
    if (r->peek_tag() == asn1::context_tag(0, true)) {
        auto certs = r->next();
        if (!certs) return std::move(certs).error();
        auto c = r->enter(*certs);
        if (!c) return std::move(c).error();
        while (!c->empty()) {
            auto cert = c->next(asn1::tag_sequence, "a Certificate");
            if (!cert) return std::move(cert).error();
            if (cert->indefinite) return make_error(errc::malformed_input, "a certificate is not DER");
            out.certificates.push_back(cert->whole);
        }
    }
    if (r->peek_tag() == asn1::context_tag(1, true)) {
        auto crls = r->next();
        if (!crls) return std::move(crls).error();
    }
    auto infos = r->next(asn1::tag_set, "the signerInfos SET");
    if (!infos) return std::move(infos).error();
    if (auto done = r->finish("SignedData"); !done) return std::move(done).error();
    auto i = r->enter(*infos);
    if (!i) return std::move(i).error();
    if (i->empty()) return not_a_receipt("the SignedData has no signer");
    auto signer = read_signer_info(*i);
    if (!signer) return std::move(signer).error();
    if (!i->empty()) return not_a_receipt("the SignedData has more than one signer");
    out.signer = std::move(*signer);
    return out;
}

/// Parses a CMS ContentInfo holding a SignedData with embedded id-data content.
inline result<signed_data> parse_signed_data(const unsigned char* der, std::size_t size) {
    if (size == 0) return not_a_receipt("the receipt is empty");
    auto parsed = read_signed_data_body(der, size);
    if (!parsed) return as_not_a_receipt(std::move(parsed).error(), "not a CMS SignedData");
    return parsed;
}

} // namespace cms
} // namespace detail
} // namespace v1
} // namespace iap_embedded

#endif // IAP_EMBEDDED_DETAIL_CMS_HPP
