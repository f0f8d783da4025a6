namespace Cairn.Rpc.Connection;

/// <summary>A call or stream this side started and whose response has not arrived yet.</summary>
internal sealed class PendingCall(string method, RpcStreamWriter? stream = null)
{
    private readonly TaskCompletionSource<RpcResponse> _response = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Method { get; } = method;

    /// <summary>The sending end, when this call is a stream (credit frames go to it).</summary>
    public RpcStreamWriter? Stream { get; } = stream;

    public Task<RpcResponse> Response => _response.Task;

    public void Succeed(RpcResponse response) => _response.TrySetResult(response);

    public void Fail(RpcException error)
    {
        _response.TrySetException(error);
        Stream?.Fail(error);
    }
}
