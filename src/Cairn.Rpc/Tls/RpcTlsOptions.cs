using System.Security.Cryptography.X509Certificates;

namespace Cairn.Rpc;

/// <summary>
/// TLS for the internal transport. A server needs its certificate (<see cref="ServerCertificate"/>, a PFX file, or PEM
/// files); a client needs a trust anchor (<see cref="CaCertificate"/>/<see cref="CaCertificatePath"/> or a pinned
/// <see cref="ServerCertificateSha256"/>). A node that both serves and dials sets both.
/// </summary>
public sealed class RpcTlsOptions
{
    /// <summary>The server certificate with its private key, already loaded (takes precedence over the paths).</summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>The server certificate: a PFX/PKCS#12 file (ending .pfx or .p12), or a PEM certificate file.</summary>
    public string? CertificatePath { get; init; }

    /// <summary>The PFX password, when <see cref="CertificatePath"/> is a PFX file.</summary>
    public string? CertificatePassword { get; init; }

    /// <summary>The PEM private key file, when <see cref="CertificatePath"/> is a PEM certificate.</summary>
    public string? PrivateKeyPath { get; init; }

    /// <summary>The cluster CA the client trusts for server certificates, already loaded.</summary>
    public X509Certificate2? CaCertificate { get; init; }

    /// <summary>The cluster CA as a PEM or DER file.</summary>
    public string? CaCertificatePath { get; init; }

    /// <summary>A pinned server certificate: its SHA-256 hash in hex. When set, only that certificate is accepted.</summary>
    public string? ServerCertificateSha256 { get; init; }

    /// <summary>The name the client asks for (SNI) and, when <see cref="CheckServerName"/> is set, checks in the certificate.</summary>
    public string ServerName { get; init; } = "cairn";

    /// <summary>Whether the client also requires the certificate's name to match <see cref="ServerName"/>. Off by default:
    /// cluster certificates are often issued per node, and the trust anchor plus the handshake already name the peer.</summary>
    public bool CheckServerName { get; init; }

    internal void Validate()
    {
        if (ServerCertificate is null && CertificatePath is not null && !IsPfx(CertificatePath) && PrivateKeyPath is null)
        {
            throw new ArgumentException("RpcTlsOptions.PrivateKeyPath is required with a PEM CertificatePath.");
        }
    }

    internal bool HasClientTrust => CaCertificate is not null || CaCertificatePath is not null || ServerCertificateSha256 is not null;

    internal bool HasServerCertificate => ServerCertificate is not null || CertificatePath is not null;

    internal static bool IsPfx(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
}
