using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Cairn.Rpc.Tls;

/// <summary>
/// Wraps a connection in TLS with the certificates of <see cref="RpcTlsOptions"/>, loaded once. Clients trust only
/// the cluster CA or a pinned certificate, never the machine's store: a public CA must not vouch for a Cairn node.
/// </summary>
internal sealed class TlsChannel
{
    private readonly RpcTlsOptions _options;
    private readonly X509Certificate2? _serverCertificate;
    private readonly X509Certificate2? _ca;

    public TlsChannel(RpcTlsOptions options)
    {
        _options = options;
        _serverCertificate = options.ServerCertificate ?? LoadServerCertificate(options);
        _ca = options.CaCertificate ?? (options.CaCertificatePath is null ? null : LoadCa(options.CaCertificatePath));
    }

    public async Task<SslStream> AuthenticateAsServerAsync(Stream inner, CancellationToken cancellationToken)
    {
        if (_serverCertificate is null)
        {
            throw new InvalidOperationException("TLS is on but RpcTlsOptions names no server certificate (ServerCertificate or CertificatePath).");
        }

        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(
                new SslServerAuthenticationOptions
                {
                    ServerCertificate = _serverCertificate,
                    ClientCertificateRequired = false,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                },
                cancellationToken);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
    }

    public async Task<SslStream> AuthenticateAsClientAsync(Stream inner, CancellationToken cancellationToken)
    {
        if (!_options.HasClientTrust)
        {
            throw new InvalidOperationException("TLS is on but RpcTlsOptions names no trust anchor for servers (CaCertificate, CaCertificatePath or ServerCertificateSha256).");
        }

        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions
                {
                    TargetHost = _options.ServerName,
                    EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                    RemoteCertificateValidationCallback = ValidateServerCertificate,
                },
                cancellationToken);
            return ssl;
        }
        catch
        {
            await ssl.DisposeAsync();
            throw;
        }
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }

        if (_options.CheckServerName && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }

        using var presented = new X509Certificate2(certificate);
        if (_options.ServerCertificateSha256 is { } pinned)
        {
            var hash = presented.GetCertHashString(HashAlgorithmName.SHA256);
            return string.Equals(hash, pinned.Replace(":", "", StringComparison.Ordinal), StringComparison.OrdinalIgnoreCase);
        }

        if (_ca is null)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.Add(_ca);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return custom.Build(presented);
    }

    private static X509Certificate2? LoadServerCertificate(RpcTlsOptions options)
    {
        if (options.CertificatePath is null)
        {
            return null;
        }

        if (RpcTlsOptions.IsPfx(options.CertificatePath))
        {
            return X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
        }

        using var pem = X509Certificate2.CreateFromPemFile(options.CertificatePath, options.PrivateKeyPath);
        // Round-trip through PKCS#12 so the key is usable by SslStream on every platform (an ephemeral PEM key is
        // not on Windows).
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 LoadCa(string path)
    {
        var text = File.ReadAllText(path);
        return text.Contains("-----BEGIN", StringComparison.Ordinal)
            ? X509Certificate2.CreateFromPem(text)
            : X509CertificateLoader.LoadCertificateFromFile(path);
    }
}
