"""The user-facing tools around the compiler, each a command of its own.

    check     compile a spec for every target, run them, prove their spikes agree (`snnc check`)
    stats     parameters, memory, synaptic operations, energy (`snnc stats`)
    demo      train on the digits in one simulator, evaluate in all three (`make demo`)
    configs   the experiment builds C1-C8 (`make all-configs`)
    picture   the IR drawn without Graphviz (`--emit svg/png`); raster: spikes per target (`check --plot`)
    runs      what check and stats share: running generated modules, seeded weights and inputs
"""
