namespace MyTorch.NN;

/// <summary>
/// Calling a module with its hooks, as PyTorch's <c>module(x)</c>: forward pre-hooks, <see cref="Module.Forward"/>,
/// forward hooks, and full backward hooks that see (and may replace) the gradient with respect to the module's input.
/// </summary>
/// <remarks>
/// <see cref="Module.Forward"/> itself runs no hooks, as PyTorch's <c>forward</c>; the containers
/// (<see cref="Sequential"/>, <see cref="Residual"/>) call their children through <see cref="Module.Call"/>, so hooks on
/// any layer of a model fire when the model is called. A model with hooks trains and infers on the graph, never on a
/// recorded replay (which would skip the hooks' code): <c>CompiledTrainingStep.NotPlannedReason</c> says so.
/// </remarks>
public abstract partial class Module
{
    private List<(long Id, Func<Module, Tensor, Tensor?> Hook)>? forwardPreHooks;
    private List<(long Id, Func<Module, Tensor, Tensor, Tensor?> Hook)>? forwardHooks;
    private List<(long Id, Func<Module, Tensor?, Tensor, Tensor?> Hook)>? backwardHooks;
    private static long lastHookId;

    /// <summary>Runs the module with its hooks: pre-hooks, <see cref="Forward"/>, forward hooks, and the backward hooks' wiring.</summary>
    /// <example><code>var y = model.Call(x); // as model(x) in PyTorch</code></example>
    public Tensor Call(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (forwardPreHooks is null && forwardHooks is null && backwardHooks is null) return Forward(input);
        if (forwardPreHooks is not null)
            foreach (var (_, hook) in forwardPreHooks.ToArray()) input = hook(this, input) ?? input;
        var calls = backwardHooks is { Count: > 0 } && Autograd.IsGradEnabled ? new BackwardHookCall(this, input) : null;
        var output = Forward(calls?.Input ?? input);
        if (forwardHooks is not null)
            foreach (var (_, hook) in forwardHooks.ToArray()) output = hook(this, input, output) ?? output;
        return calls is null ? output : calls.WatchOutput(output);
    }

    /// <summary>
    /// Registers <paramref name="hook"/>(module, input) to run before every <see cref="Call"/>; a non-null result replaces
    /// the input. PyTorch: <c>register_forward_pre_hook</c>.
    /// </summary>
    public HookHandle RegisterForwardPreHook(Func<Module, Tensor, Tensor?> hook) => Add(ref forwardPreHooks, hook);


    /// <summary>
    /// Registers <paramref name="hook"/>(module, input, output) to run after every <see cref="Call"/>'s forward; a non-null
    /// result replaces the output. The input is the one <see cref="Forward"/> received (after the pre-hooks). PyTorch:
    /// <c>register_forward_hook</c>.
    /// </summary>
    public HookHandle RegisterForwardHook(Func<Module, Tensor, Tensor, Tensor?> hook) => Add(ref forwardHooks, hook);


    /// <summary>
    /// Registers <paramref name="hook"/>(module, gradInput, gradOutput) to run when the backward pass has computed the
    /// gradient with respect to the input of a <see cref="Call"/>; a non-null result replaces that gradient. gradInput is
    /// null when the input does not require grad (the hook then runs once gradOutput is known). PyTorch:
    /// <c>register_full_backward_hook</c>.
    /// </summary>
    public HookHandle RegisterFullBackwardHook(Func<Module, Tensor?, Tensor, Tensor?> hook) => Add(ref backwardHooks, hook);


    private bool HasOwnHooks => forwardPreHooks is { Count: > 0 } || forwardHooks is { Count: > 0 } || backwardHooks is { Count: > 0 };

    /// <summary>Whether this module or one below it has a hook; walks the tree without allocating, for every replayed step.</summary>
    internal bool HasHooks()
    {
        if (HasOwnHooks) return true;
        foreach (var (_, child) in children)
            if (child.HasHooks()) return true;
        return false;
    }

    /// <summary>Why a replay of this tree would be wrong because a module in it has hooks; null when none has.</summary>
    internal string? HooksReason()
    {
        if (!HasHooks()) return null;
        foreach (var (name, module) in NamedModules())
            if (module.HasOwnHooks)
                return $"module {(name.Length == 0 ? "(the model)" : $"'{name}'")} ({module.GetType().Name}) has hooks, whose code a replay would skip.";
        return null;
    }

    private static HookHandle Add<THook>(ref List<(long Id, THook Hook)>? hooks, THook hook) where THook : Delegate
    {
        ArgumentNullException.ThrowIfNull(hook);
        var list = hooks ??= [];
        long id = Interlocked.Increment(ref lastHookId);
        list.Add((id, hook));
        return new HookHandle(() => list.RemoveAll(h => h.Id == id));
    }

    /// <summary>One <see cref="Call"/>'s backward hooks: identity ops around the module catch its output's and input's gradients.</summary>
    private sealed class BackwardHookCall
    {
        private readonly Module module;
        private readonly bool inputNeedsGrad;
        private Tensor? gradOutput;

        public BackwardHookCall(Module module, Tensor input)
        {
            this.module = module;
            inputNeedsGrad = input.RequiresGrad;
            Input = inputNeedsGrad ? Autograd.Record(input.Detach(), "backward_hook", [input], g => [OnGradInput(g)]) : input;
        }

        /// <summary>The input the module's forward receives: the caller's, behind an identity op that sees its gradient.</summary>
        public Tensor Input { get; }

        public Tensor WatchOutput(Tensor output)
        {
            if (!output.RequiresGrad) return output;
            return Autograd.Record(output.Detach(), "backward_hook", [output], g =>
            {
                gradOutput = g;
                if (!inputNeedsGrad) Run(null);
                return [g];
            });
        }

        private Tensor OnGradInput(Tensor g)
        {
            if (gradOutput is null)
                throw new InvalidOperationException(
                    $"{module.GetType().Name}: a full backward hook got the input's gradient before the output's: the output of " +
                    "Forward is not what the backward pass started from (was it used in place?).");
            return Run(g) ?? g;
        }

        private Tensor? Run(Tensor? gradInput)
        {
            var replaced = gradInput;
            foreach (var (_, hook) in module.backwardHooks!.ToArray())
            {
                var result = hook(module, replaced, gradOutput!);
                if (result is null) continue;
                if (replaced is not null && !Shapes.Equal(result.Shape, replaced.Shape))
                    throw new TensorShapeException(
                        $"{module.GetType().Name}: a full backward hook returned a gradient of shape {Shapes.Format(result.Shape)} for an " +
                        $"input of shape {Shapes.Format(replaced.Shape)}.");
                replaced = result;
            }
            return replaced;
        }
    }
}

/// <summary>Removes the hook it was returned for, as PyTorch's <c>RemovableHandle</c>; removing twice does nothing.</summary>
public sealed class HookHandle : IDisposable
{
    private Action? remove;

    internal HookHandle(Action remove) => this.remove = remove;

    /// <summary>Removes the hook.</summary>
    public void Remove() => Interlocked.Exchange(ref remove, null)?.Invoke();

    /// <summary>Removes the hook.</summary>
    public void Dispose() => Remove();
}
