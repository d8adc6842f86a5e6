(module
 (type $0 (func (param i32 i32 i32 i32)))
 (type $1 (func (param i32)))
 (import "kiln" "memory" (memory $memory 1 65536))
 (export "entry" (func $entry))
 (func $fused_elementwise_0 (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32)
  (local $4 v128)
  (local $5 v128)
  (local.set $4
   (v128.load32_splat
    (local.get $2)
   )
  )
  (block
   (local.set $2
    (i32.const 0)
   )
   (loop $next0
    (block $exit0
     (block
      (br_if $exit0
       (i32.ge_s
        (local.get $2)
        (i32.const 4)
       )
      )
      (v128.store align=4
       (i32.add
        (i32.shl
         (local.get $2)
         (i32.const 2)
        )
        (local.get $0)
       )
       (v128.bitselect
        (local.tee $5
         (v128.load align=4
          (i32.add
           (i32.shl
            (local.get $2)
            (i32.const 2)
           )
           (local.get $1)
          )
         )
        )
        (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
        (f32x4.gt
         (local.get $5)
         (local.get $4)
        )
       )
      )
      (local.set $2
       (i32.add
        (local.get $2)
        (i32.const 4)
       )
      )
      (br $next0)
     )
    )
   )
  )
  (block
   (local.set $2
    (i32.const 4)
   )
   (loop $next1
    (block $exit1
     (block
      (br_if $exit1
       (i32.ge_s
        (local.get $2)
        (i32.const 6)
       )
      )
      (v128.store32_lane 0
       (i32.add
        (i32.shl
         (local.get $2)
         (i32.const 2)
        )
        (local.get $0)
       )
       (v128.bitselect
        (local.tee $5
         (v128.load32_splat
          (i32.add
           (i32.shl
            (local.get $2)
            (i32.const 2)
           )
           (local.get $1)
          )
         )
        )
        (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
        (f32x4.gt
         (local.get $5)
         (local.get $4)
        )
       )
      )
      (local.set $2
       (i32.add
        (local.get $2)
        (i32.const 1)
       )
      )
      (br $next1)
     )
    )
   )
  )
 )
 (func $entry (param $0 i32)
  (call $fused_elementwise_0
   (i32.add
    (local.get $0)
    (i32.const 48)
   )
   (local.get $0)
   (i32.add
    (local.get $0)
    (i32.const 32)
   )
   (i32.add
    (local.get $0)
    (i32.const 80)
   )
  )
 )
)
