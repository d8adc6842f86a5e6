(module
 (type $0 (func (param i32 i32 i32 i32)))
 (type $1 (func (param i32 i32 i32 i32 i32)))
 (import "kiln" "memory" (memory $memory 1 65536 shared))
 (export "entry" (func $entry))
 (func $fused_elementwise_0 (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32)
  (local $4 v128)
  (local $5 i32)
  (local $6 v128)
  (local $7 v128)
  (local $8 v128)
  (local $9 v128)
  (local $10 v128)
  (local $11 v128)
  (local $12 v128)
  (local $13 v128)
  (local $14 v128)
  (local $15 v128)
  (local.set $4
   (v128.load32_splat
    (local.get $2)
   )
  )
  (block
   (local.set $5
    (i32.const 0)
   )
   (block $exit0
    (loop $next0
     (br_if $exit0
      (i32.ge_s
       (local.get $5)
       (i32.const 4)
      )
     )
     (local.set $6
      (v128.load align=4
       (i32.add
        (local.get $1)
        (i32.mul
         (local.get $5)
         (i32.const 4)
        )
       )
      )
     )
     (local.set $8
      (f32x4.gt
       (local.get $6)
       (local.get $4)
      )
     )
     (local.set $9
      (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
     )
     (local.set $10
      (v128.bitselect
       (local.get $6)
       (local.get $9)
       (local.get $8)
      )
     )
     (v128.store align=4
      (i32.add
       (local.get $0)
       (i32.mul
        (local.get $5)
        (i32.const 4)
       )
      )
      (local.get $10)
     )
     (local.set $5
      (i32.add
       (local.get $5)
       (i32.const 4)
      )
     )
     (br $next0)
    )
   )
  )
  (block
   (local.set $5
    (i32.const 4)
   )
   (block $exit1
    (loop $next1
     (br_if $exit1
      (i32.ge_s
       (local.get $5)
       (i32.const 6)
      )
     )
     (local.set $11
      (v128.load32_splat
       (i32.add
        (local.get $1)
        (i32.mul
         (local.get $5)
         (i32.const 4)
        )
       )
      )
     )
     (local.set $13
      (f32x4.gt
       (local.get $11)
       (local.get $4)
      )
     )
     (local.set $14
      (v128.const i32x4 0x00000000 0x00000000 0x00000000 0x00000000)
     )
     (local.set $15
      (v128.bitselect
       (local.get $11)
       (local.get $14)
       (local.get $13)
      )
     )
     (v128.store32_lane 0
      (i32.add
       (local.get $0)
       (i32.mul
        (local.get $5)
        (i32.const 4)
       )
      )
      (local.get $15)
     )
     (local.set $5
      (i32.add
       (local.get $5)
       (i32.const 1)
      )
     )
     (br $next1)
    )
   )
  )
 )
 (func $entry (param $0 i32) (param $1 i32) (param $2 i32) (param $3 i32) (param $4 i32)
  (call $fused_elementwise_0
   (local.get $4)
   (local.get $2)
   (local.get $3)
   (i32.add
    (local.get $0)
    (i32.const 32)
   )
  )
 )
)
