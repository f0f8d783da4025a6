using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Cairn.Kv.Tests.Support;

/// <summary>A raw RESP connection: sends commands as arrays of bulk strings (or any bytes) and reads replies.</summary>
internal sealed class RespClient : IDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly RespReader _reader;

    public RespClient(IPEndPoint endpoint, TimeSpan? timeout = null)
    {
        _tcp = new TcpClient(endpoint.AddressFamily) { NoDelay = true };
        var ms = (int)(timeout ?? TimeSpan.FromSeconds(15)).TotalMilliseconds;
        _tcp.ReceiveTimeout = ms;
        _tcp.SendTimeout = ms;
        _tcp.Connect(endpoint);
        _stream = _tcp.GetStream();
        _reader = new RespReader(_stream);
    }

    public Socket Socket => _tcp.Client;

    public static byte[] Encode(params string[] args) => Encode(args.Select(a => Encoding.UTF8.GetBytes(a)).ToArray());

    public static byte[] Encode(params byte[][] args)
    {
        using var buffer = new MemoryStream();
        buffer.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (var arg in args)
        {
            buffer.Write(Encoding.ASCII.GetBytes($"${arg.Length}\r\n"));
            buffer.Write(arg);
            buffer.Write("\r\n"u8);
        }

        return buffer.ToArray();
    }

    public void Send(params string[] args) => SendRaw(Encode(args));

    public void SendRaw(ReadOnlySpan<byte> bytes) => _stream.Write(bytes);

    public void SendRaw(string text) => SendRaw(Encoding.UTF8.GetBytes(text));

    public RespValue Read() => _reader.Read();

    /// <summary>Sends one command and returns its reply.</summary>
    public RespValue Call(params string[] args)
    {
        Send(args);
        return Read();
    }

    /// <summary>Sends one command and returns its reply rendered by <see cref="RespValue.ToString"/>.</summary>
    public string CallText(params string[] args) => Call(args).ToString();

    /// <summary>Whether the server has closed the connection (reads end of stream within the timeout).</summary>
    public bool IsClosedByServer(TimeSpan within)
    {
        _tcp.ReceiveTimeout = (int)within.TotalMilliseconds;
        try
        {
            var buffer = new byte[4096];
            while (true)
            {
                if (_stream.Read(buffer) == 0)
                {
                    return true;
                }
            }
        }
        catch (IOException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            return false;
        }
        catch (IOException)
        {
            return true; // reset by the server
        }
    }

    public void Dispose()
    {
        _stream.Dispose();
        _tcp.Dispose();
    }
}
