using MyTorch.Data;
using MyTorch.Kernels;
using Xunit;

namespace MyTorch.Tests.Data;

public class DataLoaderReuseTests
{
    internal static TensorDataset Data(int rows, int features)
    {
        var generator = new Generator(4);
        return new TensorDataset(Tensor.Normal([rows, features], 0, 1, generator),
            Tensor.FromArray(Enumerable.Range(0, rows).Select(i => (long)(i % 7)).ToArray()));
    }

    [Theory]
    [InlineData(50, 3, 8)]        // small batches, copied on one thread
    [InlineData(2100, 100, 700)]  // 70,000 values a batch: the copy is split over the kernel threads
    public void ReusedBatches_HoldTheSameRowsAsFreshOnes(int rows, int features, int batchSize)
    {
        var data = Data(rows, features);
        var fresh = new DataLoader(data, batchSize, shuffle: true, generator: new Generator(9));
        var reused = new DataLoader(data, batchSize, shuffle: true, generator: new Generator(9)) { ReuseBuffers = true };
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var expected = fresh.Select(b => (b.Inputs.ToArray(), b.Targets.ToArray<long>())).ToList();
            int i = 0;
            foreach (var (inputs, targets) in reused)
            {
                Assert.Equal(expected[i].Item1, inputs.ToArray());
                Assert.Equal(expected[i].Item2, targets.ToArray<long>());
                i++;
            }
            Assert.Equal(expected.Count, i);
        }
    }

    [Fact]
    public void ReusedBatches_AreTheSameTensors_OnePairPerBatchSize()
    {
        var loader = new DataLoader(Data(10, 2), 4, generator: new Generator(1)) { ReuseBuffers = true };
        var first = loader.Select(b => b.Inputs).ToList();
        var second = loader.Select(b => b.Inputs).ToList();
        Assert.Same(first[0], first[1]);          // two full batches of 4 share one tensor
        Assert.NotSame(first[0], first[2]);       // the last batch of 2 has its own
        Assert.Equal([2, 2], first[2].Shape.ToArray());
        Assert.Same(first[0], second[0]);         // and the next epoch reuses both
        Assert.Same(first[2], second[2]);
    }
}

/// <summary>
/// Tests that set the process-wide <see cref="KernelOptions.MaxThreads"/>: in the serial collection, so that no
/// other test runs meanwhile (a plan made for one thread count and run at another is re-made, which allocates, and
/// made the steady-state allocation tests fail when this ran beside them).
/// </summary>
[Collection(MyTorch.Tests.Kernels.KernelPathSerial.Name)]
public class DataLoaderThreadTests
{
    [Fact]
    public void SplitCopy_GivesTheSameBatchesAtAnyThreadCount()
    {
        int previous = KernelOptions.MaxThreads;
        try
        {
            var data = DataLoaderReuseTests.Data(3000, 100);
            float[] Batch(int threads)
            {
                KernelOptions.MaxThreads = threads;
                var loader = new DataLoader(data, 1000, shuffle: true, generator: new Generator(2)) { ReuseBuffers = true };
                return loader.First().Inputs.ToArray();
            }
            Assert.Equal(Batch(1), Batch(2));
        }
        finally
        {
            KernelOptions.MaxThreads = previous;
        }
    }
}
